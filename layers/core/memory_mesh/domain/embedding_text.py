"""What is embedded for a message: its content, after its stored context when enabled.

The context (store/messages.py: the end of the conversation's previous message, stored at
write time) comes first and the content last: the local model reads 256 tokens and drops
the rest, and the stored context is already cut to ``MEMORY_MESSAGE_CONTEXT_CHARS``, so
a message of ordinary length is never cut. Off by default: on LoCoMo it
lowered vector recall with the local model (bench/results/quality.md), while the same
context indexed for keyword search raised it.
"""

from __future__ import annotations


def embedding_text(content: str, context: str | None) -> str:
    context = (context or "").strip()
    return f"{context}\n{content}" if context else content
