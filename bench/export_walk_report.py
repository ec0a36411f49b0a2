"""The report of a tenant's export walked in index order against the planner's own plan
(``export_walk.json``). Pure rendering."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report

CASES = ("walk in order", "planner's choice")
STATE_TEXT = {
    "never analyzed": "none yet",
    "messages analyzed": "messages only",
    "analyzed": "both tables",
}


def markdown(results: dict[str, Any]) -> str:
    body = results["export"]
    config = body["config"]
    ms = body["ms"]
    lines = report.header(results, "Memory Mesh: a tenant's export, walked in index order")
    lines += [
        f"One tenant of {config['conversations']:,} short conversations (2 messages each)"
        f" and one of {config['long_messages']:,} messages among them, exported through the"
        f" service in pages of {body['page_rows']:,} rows: the whole tenant"
        f" ({body['lines']['tenant']:,} lines) and the long conversation alone"
        f" ({body['lines']['long conversation']:,}). `walk in order`: the service as it is"
        " (each page's transaction turns off sorts and bitmap scans, so the page walks"
        " conversations and their messages in index order and stops at the page);"
        " `planner's choice`: the same statements, planned freely. Both export the same"
        f" lines (checked). {config['rounds']} rounds, the cases' order alternating;"
        " medians of the rounds, the ratio the median of the rounds' ratios.",
        "",
        *md.table(
            "statistics | export | walk in order ms | planner's choice ms | ratio",
            (
                [
                    f"{state}: {STATE_TEXT[state]}",
                    scope,
                    *(f"{by_case[case]:,.1f}" for case in CASES),
                    f"{body['ratio'][state][scope]:.3f}",
                ]
                for state, by_scope in ms.items()
                for scope, by_case in by_scope.items()
            ),
            text_columns=2,
        ),
    ]
    return "\n".join(lines) + "\n"
