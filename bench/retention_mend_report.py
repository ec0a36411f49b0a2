"""The report of a retention run's mend after each delete batch (``retention_mend.json``),
side by side with the same run without it. Pure rendering."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["retention"]
    config = body["config"]
    ms = body["run_ms"]
    per = body["deleted_per_run"]
    lines = report.header(results, "Memory Mesh: retention's mend after each delete batch")
    lines += [
        f"Each round writes two fresh tenants {config['conversations']} conversations of"
        f" {config['per_conversation']} messages (every other one a tool call, in the past)"
        f" and runs a rule deleting tool calls in each: {per:,} rows a run, in the service's"
        " batches. `mend after commit`: the service as it is (after each batch commits, the"
        " messages after its deleted rows take their context again under their"
        " conversations' locks); `no mend`: the same with that step off. Nothing writes"
        f" beside the runs, so the mend changes nothing. {config['rounds']} rounds, the"
        " cases' order alternating; medians of the rounds, the ratio the median of the"
        " rounds' ratios.",
        "",
        *md.table(
            "case | ms per run | ms per deleted message",
            ([case, f"{v:,.1f}", f"{v / per:.3f}"] for case, v in ms.items()),
            text_columns=1,
        ),
        "",
        f"Ratio, with the mend / without: {body['ratio_mend']:.2f}. The mend itself:"
        f" {body['mend_ms_total_per_run']:,.1f} ms a run over {body['mends_per_run']}"
        " batches.",
    ]
    return "\n".join(lines) + "\n"
