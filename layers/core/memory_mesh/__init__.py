"""Memory Mesh: a semantic memory layer for AI applications."""

__version__ = "0.1.0"
