"""The report of an inline write's latency (``inline_write.json``): embedded first and
stored once, against stored first and embedded after. Pure rendering."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["write"]
    config = body["config"]
    ms = body["per_message_ms"]
    ratio = body["ratio_embedded_first"]
    lines = report.header(results, "Memory Mesh: an inline write, embedded first")
    lines += [
        "One tenant, `MessageService.create_batch` in process, inline mode (a message is"
        " answered once it has its vector), the local model; each round stores one message"
        f" alone and a batch of {config['batch']} in each case, and times the model embedding"
        " one text alone; the cases' order alternating; each text stored once."
        " `embedded first`: the service as it is, the new messages embedded before their"
        " transaction and each stored once, with its vector; `stored first`: the same service"
        " with that step off, as before (stored pending, then claimed, embedded and its vector"
        f" written). {config['rounds']} rounds after one warm-up; medians of the rounds, the"
        " ratio the median of the rounds' ratios.",
        "",
        *md.table(
            "write | ms per message, embedded first | stored first | ratio",
            (
                [
                    size,
                    f"{ms[f'embedded first, {size}']:.2f}",
                    f"{ms[f'stored first, {size}']:.2f}",
                    f"{ratio[size]:.2f}",
                ]
                for size in ("one message", "batch")
            ),
            text_columns=1,
        ),
        "",
        f"The model alone, one text: {ms['model alone']:.2f} ms (median of the same rounds).",
    ]
    if "ratio_order_lock" in body:  # runs since the per-conversation write lock
        lock = body["ratio_order_lock"]
        lines += [
            "",
            "The per-conversation write lock (store/message_order_locks.py, sent in one"
            " pipeline with the INSERT): `embedded first` against the same service with the"
            " lock off (`no order lock`), in the same rounds.",
            "",
            *md.table(
                "write | ms per message, with the lock | without | ratio",
                (
                    [
                        size,
                        f"{ms[f'embedded first, {size}']:.2f}",
                        f"{ms[f'no order lock, {size}']:.2f}",
                        f"{lock[size]:.2f}",
                    ]
                    for size in ("one message", "batch")
                ),
                text_columns=1,
            ),
        ]
    return "\n".join(lines) + "\n"
