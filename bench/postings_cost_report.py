"""The report of the postings' write cost (``postings_cost.json``): messages stored,
archived and deleted with migration 0015's triggers on and off, and with each message's
context written after its INSERT. Pure rendering."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["cost"]
    config = body["config"]
    ms = body["per_message_ms"]
    sizes = body["sizes"]
    lines = report.header(results, "Memory Mesh: what the keyword postings cost the writes")
    lines += [
        f"One tenant; each round stores {config['batch']} turns of the corpus above through"
        " `MessageService.create_batch` (one conversation, each message's context written as"
        " the API writes it), archives them (`update_batch`), deletes them (`delete_batch`),"
        " once per case, the cases' order rotating round by round:"
        " `postings` as the service runs (migration 0015's triggers on, each message's"
        " context written in its INSERT), `no postings` with the triggers off (as before"
        " migration 0015), `context after` with the triggers on and each message stored"
        " without its context, then given it by an UPDATE in the same transaction (as"
        f" before the context moved into the INSERT); {config['rounds']} rounds after one"
        " warm-up, medians of the rounds. Embedding is asynchronous and no worker runs: the"
        " model is not timed, only the database's share of a write (a whole write through"
        " the API, the model included, is in core.md).",
        "",
        *md.table(
            "operation | ms per message, postings | no postings | context after"
            " | postings / no postings | postings / context after",
            (
                [
                    op,
                    f"{ms['postings'][op]:.3f}",
                    f"{ms['no postings'][op]:.3f}",
                    f"{ms['context after'][op]:.3f}",
                    f"{body['ratio'][op]:.2f}",
                    f"{body['ratio_context_in_insert'][op]:.2f}",
                ]
                for op in ("store", "archive", "delete")
            ),
            text_columns=1,
        ),
        "",
        f"Space, the corpus's {sizes['messages']:,.0f} messages stored once in the fresh"
        " database as the service stores them (each with its context: the previous"
        f" message's end): {sizes['postings_per_message']} postings per message;"
        " `message_terms` (table and index)"
        f" {sizes['postings_bytes_per_message_compacted']:,} bytes per message compacted"
        " (`VACUUM FULL`: the live rows alone),"
        f" {sizes['postings_bytes_per_message_written']:,} as written (after a plain"
        " `VACUUM`); `messages`"
        f" {sizes['messages_bytes_per_message_compacted']:,} bytes per message compacted,"
        f" {sizes['messages_bytes_per_message_written']:,} as written (table and indexes; no"
        " vectors yet: embedding is asynchronous here).",
    ]
    return "\n".join(lines) + "\n"
