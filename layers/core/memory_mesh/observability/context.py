"""What the access log learns about a request while it runs: its tenant and caller.

The access middleware puts a fresh :class:`RequestFacts` in a ContextVar; authentication
fills it in (:func:`note_principal`, :func:`note_tenant`). The object is mutated, never
replaced, so facts set inside a dependency are visible to the middleware even where the
framework ran the dependency in a copied context.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestFacts:
    tenant_id: str | None = None
    principal_kind: str | None = None  # "user" or "api_key"
    principal_id: str | None = None  # the user's or the API key's id, never the secret


request_facts_var: ContextVar[RequestFacts | None] = ContextVar("request_facts", default=None)


def note_principal(kind: str, principal_id: object) -> None:
    """Record who is calling (outside a request: does nothing)."""
    facts = request_facts_var.get()
    if facts is not None:
        facts.principal_kind = kind
        facts.principal_id = str(principal_id)


def note_tenant(tenant_id: str) -> None:
    """Record the tenant the request acts in (outside a request: does nothing)."""
    facts = request_facts_var.get()
    if facts is not None:
        facts.tenant_id = tenant_id
