"""Export of a conversation or a whole tenant as JSON Lines, and import of the same.

Export streams: keyset pages of ``EXPORT_PAGE_ROWS`` rows, each read in its own short
transaction, encoded and handed on before the next is read, so neither the process nor
the database holds the whole tenant (nor a transaction) while a client downloads.

Import reads the body line by line, buffers at most one batch of conversations and one of
messages, and writes each batch set-based: conversations in one statement, messages
through :meth:`MessageService.create_batch` (the normal path: validation, one INSERT, then
embedding inline or by the worker). A bad line is reported with its number and skipped;
the others go in. Re-importing a file changes nothing (ids are kept or derived stably).
The line format and the id modes are described in ``domain/transfer.py``.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from memory_mesh.domain.conversation_ref import check_external_id, parse_conversation_ref
from memory_mesh.domain.models import Conversation
from memory_mesh.domain.transfer import (
    FORMAT,
    MAX_LINE_BYTES,
    VERSION,
    ConversationLine,
    EndLine,
    HeaderLine,
    ImportLine,
    MessageLine,
    conversation_line,
    encode_line,
    end_line,
    header_line,
    remap_id,
)
from memory_mesh.domain.validation import Limits, check_metadata, check_stored_time, check_text
from memory_mesh.errors import AppError, InvalidInput
from memory_mesh.services.conversation_refs import conversation_not_found, resolve
from memory_mesh.services.messages import MessageInput, MessageService
from memory_mesh.store import conversations as conversation_store
from memory_mesh.store import transfer as store
from memory_mesh.store.database import Database
from memory_mesh.store.transfer import ExportKey

log = logging.getLogger(__name__)

EXPORT_PAGE_ROWS = 1_000
IMPORT_BATCH = 500
MAX_REPORTED_ERRORS = 1_000
_FUTURE_SKEW = timedelta(minutes=5)
_LINE = TypeAdapter[Any](ImportLine)


class IdMode(enum.StrEnum):
    preserve = "preserve"
    remap = "remap"


@dataclass
class LineError:
    line: int
    code: str
    message: str


@dataclass
class ImportReport:
    """What an import did, and the lines it could not take (at most 1,000 listed)."""

    lines: int = 0
    conversations_created: int = 0
    conversations_existing: int = 0
    messages_created: int = 0
    messages_existing: int = 0
    failed_lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    complete: bool = False  # an end line was read and its counts match the file

    def fail(self, line: int, code: str, message: str) -> None:
        self.failed_lines += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(LineError(line, code, message))


class TransferService:
    def __init__(self, db: Database, messages: MessageService, limits: Limits) -> None:
        self.db = db
        self.messages = messages
        self.limits = limits
        self.import_batch = min(IMPORT_BATCH, limits.max_batch_size)

    # --- export -----------------------------------------------------------------

    async def conversation(self, tenant_id: str, conversation: str | UUID) -> Conversation:
        """The conversation to export, by UUID or external id (raises 404 before any byte
        is streamed)."""
        async with self.db.tenant(tenant_id) as conn:
            conversation_id = await resolve(conn, tenant_id, conversation)
            found = await conversation_store.get(
                conn, tenant_id=tenant_id, conversation_id=conversation_id
            )
        if found is None:
            raise conversation_not_found(conversation_id)
        return found

    async def export(
        self,
        tenant_id: str,
        *,
        conversation_id: UUID | None = None,
        include_archived: bool = True,
    ) -> AsyncIterator[bytes]:
        """The export as chunks of JSON Lines (one chunk per page of rows)."""
        scope = "conversation" if conversation_id is not None else "tenant"
        yield encode_line(
            header_line(tenant_id=tenant_id, scope=scope, exported_at=datetime.now(UTC))
        )
        after: ExportKey | None = None
        current: UUID | None = None
        conversations = messages = 0
        while True:
            async with self.db.tenant(tenant_id, in_order=True) as conn:
                rows = await store.export_page(
                    conn,
                    tenant_id=tenant_id,
                    conversation_id=conversation_id,
                    after=after,
                    limit=EXPORT_PAGE_ROWS,
                    include_archived=include_archived,
                )
            chunk: list[bytes] = []
            for row in rows:
                if row["c_id"] != current:
                    current = row["c_id"]
                    conversations += 1
                    chunk.append(encode_line(conversation_line(_conversation(tenant_id, row))))
                if row["m_id"] is not None:
                    messages += 1
                    chunk.append(encode_line(_message_line(row)))
            if chunk:
                yield b"".join(chunk)
            if len(rows) < EXPORT_PAGE_ROWS:
                break
            last = rows[-1]
            after = ExportKey(
                last["c_created_at"], last["c_id"], last["m_created_at"], last["m_id"]
            )
        yield encode_line(end_line(conversations, messages))

    # --- import -----------------------------------------------------------------

    async def import_lines(
        self, tenant_id: str, body: AsyncIterable[bytes], *, ids: IdMode = IdMode.preserve
    ) -> ImportReport:
        """Import a JSON Lines body into ``tenant_id``; return the per-line report.

        Raises InvalidInput only for a body that cannot be an export at all: empty, a
        first line that is not JSON, or a header naming another format or a newer version
        (nothing is written then: these are all decided on the first line).
        """
        run = _Import(self, tenant_id, ids)
        seen_content = False
        async for number, raw in _split_lines(body, MAX_LINE_BYTES):
            run.report.lines = number
            if raw is None:
                run.report.fail(number, "line_too_long", f"longer than {MAX_LINE_BYTES} bytes")
                continue
            text = raw.strip()
            if not text:
                continue
            first = not seen_content
            seen_content = True
            try:
                decoded = json.loads(text)
                check_text(decoded, field="line")
                parsed = _LINE.validate_python(decoded)
            except InvalidInput as exc:
                run.report.fail(number, exc.code, exc.message)
                continue
            except ValueError as exc:  # JSON or UTF-8 errors (ValidationError is a ValueError)
                if first and not isinstance(exc, ValidationError):
                    raise InvalidInput(
                        "body: the first line is not JSON; send JSON Lines "
                        "(one JSON object per line)",
                        code="invalid_import",
                    ) from None
                code, message = _describe(exc)
                run.report.fail(number, code, message)
                continue
            await run.take(number, parsed, first=first)
        if not seen_content:
            raise InvalidInput("body: holds no lines to import", code="import_empty")
        await run.flush()
        run.report.errors.sort(key=lambda e: e.line)  # batch errors come out after later lines
        return run.report


class _Import:
    """The state of one import: the pending batches and the report."""

    def __init__(self, service: TransferService, tenant_id: str, ids: IdMode) -> None:
        self.service = service
        self.tenant_id = tenant_id
        self.ids = ids
        self.report = ImportReport()
        self.conversations: list[tuple[int, ConversationLine]] = []
        self.messages: list[tuple[int, MessageLine]] = []
        self.file_conversations = 0
        self.file_messages = 0
        self.now = datetime.now(UTC)
        # conversations of the file merged into one the tenant holds under the same
        # external id: (file's id as mapped) -> the tenant's conversation
        self.merged: dict[UUID, UUID] = {}

    def _id(self, old: UUID) -> UUID:
        return remap_id(self.tenant_id, old) if self.ids is IdMode.remap else old

    def _conversation(self, named: UUID | str) -> UUID | str:
        """Where a message line's conversation is: its (mapped, merged) id, or the
        external id it names, which the message path resolves (or creates)."""
        ref = parse_conversation_ref(named)  # a UUID may arrive as text
        if isinstance(ref, str):
            return ref
        new_id = self._id(ref)
        return self.merged.get(new_id, new_id)

    async def take(self, number: int, line: object, *, first: bool) -> None:
        if isinstance(line, HeaderLine):
            if not first:
                self.report.fail(number, "misplaced_header", "a header must be the first line")
            elif line.format != FORMAT:
                raise InvalidInput(
                    f"header: format {line.format!r} is not {FORMAT!r}", code="unsupported_format"
                )
            elif line.version > VERSION:
                raise InvalidInput(
                    f"header: version {line.version} is newer than this server reads "
                    f"({VERSION}); upgrade the server",
                    code="unsupported_export_version",
                )
        elif isinstance(line, ConversationLine):
            self.file_conversations += 1
            self.conversations.append((number, line))
            if len(self.conversations) >= self.service.import_batch:
                await self._flush_conversations()
        elif isinstance(line, MessageLine):
            self.file_messages += 1
            self.messages.append((number, line))
            if len(self.messages) >= self.service.import_batch:
                await self.flush()
        elif isinstance(line, EndLine):
            self.report.complete = (line.conversations, line.messages) == (
                self.file_conversations,
                self.file_messages,
            )
            if not self.report.complete:
                self.report.fail(
                    number,
                    "incomplete_export",
                    f"the end line counts {line.conversations} conversations and "
                    f"{line.messages} messages; the file held {self.file_conversations} and "
                    f"{self.file_messages}",
                )

    async def flush(self) -> None:
        # a message's conversation may still be pending: conversations go first
        await self._flush_conversations()
        await self._flush_messages()

    async def _flush_conversations(self) -> None:
        batch, self.conversations = self.conversations, []
        rows: list[dict[str, Any]] = []
        lines: dict[UUID, list[int]] = {}
        for number, line in batch:
            new_id = self._id(line.id)
            try:
                if line.external_id is not None:
                    check_external_id(line.external_id)
                check_metadata(line.metadata, self.service.limits)
                for name, value in (
                    ("created_at", line.created_at),
                    ("updated_at", line.updated_at),
                ):
                    check_stored_time(value, name)
                    if value is not None and value > self.now + _FUTURE_SKEW:
                        raise InvalidInput(
                            f"{name}: must not be in the future", code="invalid_timestamp"
                        )
            except AppError as exc:
                self.report.fail(number, exc.code, exc.message)
                continue
            if new_id in lines:  # the same conversation twice in one batch: one insert
                lines[new_id].append(number)
                continue
            lines[new_id] = [number]
            rows.append(
                {
                    "id": str(new_id),
                    "external_id": line.external_id,
                    "title": line.title,
                    "metadata": line.metadata,
                    "created_at": _iso(line.created_at),
                    "updated_at": _iso(line.updated_at),
                }
            )
        if not rows:
            return
        async with self.service.db.tenant(self.tenant_id) as conn:
            outcomes = await store.insert_conversations(conn, tenant_id=self.tenant_id, rows=rows)
        for conversation_id, numbers in lines.items():
            outcome, target = outcomes.get(conversation_id, ("taken", None))
            if outcome == "merged" and target is not None:
                self.merged[conversation_id] = target
            for i, number in enumerate(numbers):
                if outcome == "taken":
                    self.report.fail(
                        number, "conversation_id_taken", _taken("conversation", conversation_id)
                    )
                elif outcome == "created" and i == 0:
                    self.report.conversations_created += 1
                else:
                    self.report.conversations_existing += 1

    async def _flush_messages(self) -> None:
        batch: list[tuple[int, MessageLine]] = []
        for number, line in self.messages:
            try:  # the message path checks created_at; archived_at is this line's own
                check_stored_time(line.archived_at, "archived_at")
            except AppError as exc:
                self.report.fail(number, exc.code, exc.message)
                continue
            batch.append((number, line))
        self.messages = []
        if not batch:
            return
        items = [
            MessageInput(
                conversation_id=self._conversation(line.conversation_id),
                role=line.role,
                content=line.content,
                metadata=line.metadata,
                importance=line.importance,
                id=self._id(line.id) if line.id is not None else None,
                created_at=line.created_at,
            )
            for _, line in batch
        ]
        results = await self.service.messages.create_batch(self.tenant_id, items)
        restore: list[dict[str, Any]] = []
        for (number, line), result in zip(batch, results, strict=True):
            if result.error is not None:
                message = result.error.message
                if result.error.code == "message_id_taken":
                    message = _taken("message", result.id)
                self.report.fail(number, result.error.code, message)
            elif result.status == "created":
                self.report.messages_created += 1
                explicit = line.importance is not None and line.importance_explicit is not False
                if line.archived or not explicit:
                    restore.append(
                        {
                            "id": str(result.id),
                            "importance_explicit": explicit,
                            "archived": line.archived,
                            "archived_at": _iso(line.archived_at),
                        }
                    )
            else:
                self.report.messages_existing += 1
        if restore:
            async with self.service.db.tenant(self.tenant_id) as conn:
                await store.restore_message_state(conn, tenant_id=self.tenant_id, rows=restore)


def _taken(kind: str, object_id: UUID | None) -> str:
    return (
        f"{kind} id {object_id} belongs to another tenant of this database; "
        "import with ids=remap to copy it under new ids"
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _describe(exc: ValueError) -> tuple[str, str]:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "line"
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            return "invalid_line_type", ("type: must be one of header, conversation, message, end")
        return "validation_error", f"{where}: {error['msg']}"
    return "invalid_json", f"not a JSON object: {exc}"[:300]


def _conversation(tenant_id: str, row: dict[str, Any]) -> Conversation:
    return Conversation(
        id=row["c_id"],
        external_id=row["c_external_id"],
        tenant_id=tenant_id,
        title=row["c_title"],
        metadata=row["c_metadata"],
        created_at=row["c_created_at"],
        updated_at=row["c_updated_at"],
    )


def _message_line(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "id": row["m_id"],
        "conversation_id": row["c_id"],
        "role": row["role"],
        "content": row["content"],
        "metadata": row["m_metadata"],
        "importance": float(row["importance"]),
        "importance_explicit": row["importance_explicit"],
        "created_at": row["m_created_at"],
        "archived": row["archived"],
        "archived_at": row["archived_at"],
    }


async def _split_lines(
    body: AsyncIterable[bytes], max_bytes: int
) -> AsyncIterator[tuple[int, bytes | None]]:
    """(line number, bytes) for each line of ``body``, as chunks arrive; a line longer
    than ``max_bytes`` comes out as None (and is never held whole in memory)."""
    buffer = bytearray()
    number = 0
    too_long = False
    async for chunk in body:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not too_long:
                buffer += piece
                if len(buffer) > max_bytes:
                    too_long = True
                    buffer.clear()
            if end < 0:
                break
            number += 1
            yield number, None if too_long else bytes(buffer)
            buffer.clear()
            too_long = False
            start = end + 1
    if buffer or too_long:
        yield number + 1, None if too_long else bytes(buffer)
