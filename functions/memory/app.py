"""Lambda for the /v1/memory routes: API Gateway HTTP API (payload 2.0) -> the same
FastAPI router the local server mounts, through Mangum. Only this area's router (and the
services it uses) is imported: see memory_mesh.cloud.lambda_runtime.http_function."""

from __future__ import annotations

from memory_mesh.cloud.lambda_runtime import http_function

function = http_function("memory")
container = function.container  # the container's runtime, pool and loop (tests reach in)
lambda_handler = function.lambda_handler
