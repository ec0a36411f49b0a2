"""Where a WebSocket client's credential is found, in order of preference — one rule for
the local server's endpoints and the AWS WebSocket function alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SUBPROTOCOL = "memory-mesh.v1"
AUTH_PREFIX = "auth."


def websocket_credential(
    subprotocols: Iterable[str], headers: Mapping[str, str], query: Mapping[str, str]
) -> str | None:
    """An access token or API key from: the ``auth.<credential>`` subprotocol (browsers),
    the ``Authorization: Bearer`` or ``x-api-key`` header (other clients), or the
    ``access_token`` / ``api_key`` query parameter (last resort; redacted from logs).
    ``headers`` must have lower-case names."""
    for protocol in subprotocols:
        if protocol.startswith(AUTH_PREFIX):
            return protocol[len(AUTH_PREFIX) :]
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return headers.get("x-api-key") or query.get("access_token") or query.get("api_key")
