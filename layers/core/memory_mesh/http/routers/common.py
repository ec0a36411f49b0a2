"""What every router shares: the documented error responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

REF_TEMPLATE = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    """An error answer as OpenAPI documents it: a reference to ``ErrorBody``.

    Not ``{"model": ErrorBody}``: FastAPI builds a validator for every response model of
    every route (six per route here), work each Lambda function did at every cold start
    for a document it never serves; :func:`document_error_body` adds the schema instead.
    """
    schema = {"$ref": REF_TEMPLATE.format(model="ErrorBody")}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Malformed request (for example invalid JSON)."),
    404: _error("The tenant holds no such object."),
    409: _error("The id is taken."),
    413: _error("Request body too large."),
    422: _error("A field is invalid; `details` names each."),
    503: _error("A dependency (database, embedder) is down."),
}


def document_error_body(app: FastAPI) -> None:
    """Put ``ErrorBody`` (and what it refers to) among the OpenAPI document's schemas,
    which :data:`ERRORS` refers to. Call before anything else wraps ``app.openapi``."""
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi._compat import get_definitions
            from fastapi.encoders import jsonable_encoder
            from fastapi.openapi.models import Schema
            from fastapi.utils import create_model_field

            from memory_mesh.http.bodies.errors import ErrorBody

            document = build_openapi()
            # generated as FastAPI generates a response model's schemas (same functions)
            field = create_model_field(name="ErrorBody", type_=ErrorBody, mode="serialization")
            _, definitions = get_definitions(
                fields=[field],
                model_name_map={},
                separate_input_output_schemas=app.separate_input_output_schemas,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in definitions.items():  # as get_openapi encodes its output
                encoded = jsonable_encoder(Schema(**schema), by_alias=True, exclude_none=True)
                schemas.setdefault(name, encoded)
            document["components"]["schemas"] = dict(sorted(schemas.items()))
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
