"""Request and response bodies of the HTTP API, one module per area, so that a Lambda
function builds only its own area's pydantic models (``memory_mesh.http.schemas`` gathers
them all for the local server and the OpenAPI document)."""
