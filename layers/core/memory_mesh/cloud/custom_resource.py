"""Database migrations at deploy time, as a CloudFormation custom resource.

CloudFormation sends Create / Update (whenever the layer changes, since the template
passes the layer's version as a property) and Delete. Create and Update apply the
pending migrations; Delete keeps the data and only answers. The answer is a PUT of a
JSON document to the pre-signed ``ResponseURL`` (through the VPC's S3 gateway endpoint);
without it the stack would wait an hour. A direct invocation (no ``RequestType``)
just migrates and returns the versions applied.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from memory_mesh.config import Settings
from memory_mesh.store.migrations import migrate

log = logging.getLogger(__name__)

PHYSICAL_ID = "memory-mesh-schema"


def handle_migration(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    """Run the migrations for a custom-resource (or direct) event and report the result."""
    request_type = event.get("RequestType")
    if request_type is None:
        return {"applied": _migrate(settings)}
    data: dict[str, Any] = {}
    try:
        if request_type in ("Create", "Update"):
            applied = _migrate(settings)
            data = {"Applied": ",".join(str(v) for v in applied) or "none"}
        status, reason = "SUCCESS", "ok"
    except Exception as exc:  # report every failure, or CloudFormation hangs for an hour
        log.exception("migration failed")
        status, reason = "FAILED", f"{type(exc).__name__}: {exc}"[:900]
    send_response(event, context, status=status, reason=reason, data=data)
    return {"Status": status, "Reason": reason, "Data": data}


def _migrate(settings: Settings) -> list[int]:
    if not settings.database_url:
        raise RuntimeError("no database: set MEMORY_DATABASE_SECRET_ARN or MEMORY_DATABASE_URL")
    return migrate(settings.database_url, dimensions=settings.embedding_dimensions)


def send_response(
    event: dict[str, Any], context: Any, *, status: str, reason: str, data: dict[str, Any]
) -> None:
    log_stream = getattr(context, "log_stream_name", "") or ""
    body = json.dumps(
        {
            "Status": status,
            "Reason": f"{reason} (log stream {log_stream})" if log_stream else reason,
            "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        log.info("custom resource answered %s: HTTP %s", status, answer.status)
