"""The error body every error answer carries (documented in the OpenAPI document; the
error handlers write the same shape)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    field: str | None = None
    problem: str


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable code.", examples=["message_not_found"])
    message: str = Field(description="What is wrong, for a person.")
    request_id: str | None = Field(None, description="Quote it when reporting a problem.")
    details: list[ErrorDetail] = Field(default_factory=list)
