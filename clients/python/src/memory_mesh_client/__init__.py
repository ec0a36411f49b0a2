"""Python client for Memory Mesh.

from memory_mesh_client import MemoryMesh
mm = MemoryMesh("http://127.0.0.1:8000", api_key="mm_...")
mm.add_message(mm.create_conversation("support").id, "I'm allergic to peanuts")
mm.search("what food should I avoid?").results
"""

from memory_mesh_client._core import RetryPolicy
from memory_mesh_client.async_client import AsyncMemoryMesh
from memory_mesh_client.client import MemoryMesh
from memory_mesh_client.errors import (
    AuthenticationError,
    BadRequest,
    Conflict,
    ConnectionFailed,
    MemoryMeshError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ServiceUnavailable,
)
from memory_mesh_client.models import (
    Conversation,
    ConversationStats,
    Event,
    Message,
    Page,
    Scores,
    SearchHit,
    SearchResult,
    Tokens,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncMemoryMesh",
    "AuthenticationError",
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "Conversation",
    "ConversationStats",
    "Event",
    "MemoryMesh",
    "MemoryMeshError",
    "Message",
    "NotFound",
    "Page",
    "PermissionDenied",
    "RateLimited",
    "RetryPolicy",
    "Scores",
    "SearchHit",
    "SearchResult",
    "ServerError",
    "ServiceUnavailable",
    "Tokens",
]
