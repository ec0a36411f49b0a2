"""Bodies of the health, readiness and replay routes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str


class CheckOut(BaseModel):
    name: str
    ok: bool
    latency_ms: float
    detail: str | None = None


class ReadinessOut(BaseModel):
    ready: bool
    checks: list[CheckOut]


class ReplayOut(BaseModel):
    requeued: int
