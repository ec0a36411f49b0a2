"""``GET /metrics``: the Prometheus exposition of the app's runtime metrics."""

from __future__ import annotations

import hmac

from fastapi import FastAPI, Request, Response


def add_metrics_route(app: FastAPI, token: str | None = None) -> None:
    """Serve the runtime's ``PrometheusMetrics`` at ``/metrics`` (not in the OpenAPI
    document). With ``token``, a scrape must send ``Authorization: Bearer <token>``."""
    expected = f"Bearer {token}".encode() if token else None

    async def metrics(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return Response(
                    "metrics need the bearer token (MEMORY_METRICS_TOKEN)\n",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                    media_type="text/plain",
                )
        # imported on a scrape only: the Lambda layer does not ship prometheus_client
        from memory_mesh.observability.prometheus import PrometheusMetrics

        recorder = getattr(getattr(request.app.state, "runtime", None), "metrics", None)
        if not isinstance(recorder, PrometheusMetrics):
            return Response("metrics are not kept as Prometheus here\n", 404)
        body, content_type = recorder.render()
        return Response(body, media_type=content_type)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
