"""The report of the footprint benchmark (``footprint.json``): the memory and disk tables
and what they say. Pure rendering from the figures; ``python -m bench.footprint
--redraw`` rewrites it."""

from __future__ import annotations

from typing import Any

from bench import markdown as md


def markdown(results: dict[str, Any]) -> str:
    fp = results["footprint"]
    loading = fp["loading"]
    lines = [
        f"# Footprint: the server at {fp['messages']:,} messages",
        "",
        md.reproduce(results, ("python", "postgres", "pgvector"), " (shared machine)"),
        "",
        "A real `memory-mesh serve` process (local ONNX model, embedded PostgreSQL in its own "
        f"data directory). {fp['tenant_layout'].capitalize()}. Each memory figure is the "
        "median of several readings a moment apart. Server: the Python process itself. "
        "PostgreSQL: the postmaster and all its children summed; PSS splits shared pages "
        "(shared_buffers) among the processes mapping them, so the sum counts them once; "
        "USS is memory no other process shares. MB = 2^20 bytes.",
        "",
        *md.table(
            "stage | messages | server RSS | server USS | server PSS | PostgreSQL PSS (procs)"
            " | PostgreSQL USS | server + PostgreSQL PSS | database on disk | HNSW index"
            " | pgdata",
            (_memory_cells(s) for s in fp["stages"]),
        ),
    ]
    first, last = fp["stages"][0], fp["stages"][-1]
    growth = round(last["total_pss_mb"] - first["total_pss_mb"], 1)
    disk = last["disk"]
    lines += [
        "",
        f"Growth from a fresh idle server to {disk['messages']:,} messages after the "
        f"workload: {growth} MB of memory (server + PostgreSQL PSS). On disk at "
        f"{disk['messages']:,} messages: messages table {disk['messages_total_mb']} MB "
        f"(heap {disk['messages_heap_mb']}, indexes {disk['messages_indexes_mb']}, of which "
        f"HNSW {disk['hnsw_index_mb']}); shared_buffers {disk['shared_buffers']}.",
        "",
        *findings(results),
        "",
        "Indexes of `messages` at the end (MB): "
        + ", ".join(f"{k} {v}" for k, v in disk["indexes_mb"].items())
        + ".",
        "",
        "## Workloads",
        "",
        *md.table(
            "stage | searches | mean hits | search p50 ms | search p95 ms | reads | read p50 ms",
            (_workload_cells(s) for s in fp["stages"] if "searches" in s),
        ),
        "",
        "Searches: `POST /v1/memory/search` (default mode, top 10) with real LoCoMo "
        "questions, each embedded by the server's model; reads: conversation list, a "
        "conversation's messages, one message. One client.",
        "",
        "## Loading",
        "",
    ]
    if "copy" in loading:
        c = loading["copy"]
        lines.append(
            f"- {c['rows']:,} messages by binary COPY into the server's database "
            f"({c['load_seconds']} s), HNSW index rebuilt ({c['hnsw_build_seconds']} s, "
            f"{c['hnsw_index_mb']} MB): vectors from the same model (real corpus "
            f"embeddings, {fp['corpus']['real_vectors']:,}, then derived), so the server "
            "treats them as its own."
        )
    h = loading.get("http", {})
    if h.get("messages"):
        lines.append(
            f"- {h['messages']:,} corpus turns through `POST /v1/messages/batch` (inline "
            f"mode: stored and embedded by the server) at {h['msgs_per_s']} messages/s, "
            f"{h['ready']} ready at the response."
        )
    lines += [
        "- COPY for the bulk because HTTP ingestion is bound by the model (core.md: "
        "~60-70 messages/s on this machine, about half an hour for 100k), which would "
        "change the wait, not the memory; the HTTP part makes sure the write and "
        "embedding paths ran in the measured process.",
        "- `restarted`: the server stopped and started again on the same data directory "
        "(its PostgreSQL too): what a server holds after a restart, then after use.",
        "",
    ]
    return "\n".join(lines)


def _memory_cells(s: dict[str, Any]) -> list[object]:
    srv, pg, disk = s["server_mb"], s["postgres_mb"], s["disk"]
    return [
        s["stage"],
        f"{disk['messages']:,}",
        srv["rss"],
        srv["uss"],
        srv["pss"],
        f"{pg['pss']} ({pg['processes']:g})",
        pg["uss"],
        s["total_pss_mb"],
        disk["database_mb"],
        disk["hnsw_index_mb"],
        disk["pgdata_mb"],
    ]


def _workload_cells(s: dict[str, Any]) -> list[object]:
    search, read = s.get("search_ms") or {}, s.get("read_ms") or {}
    return [
        s["stage"],
        s["searches"],
        s["mean_hits"],
        search.get("p50", ""),
        search.get("p95", ""),
        s["reads"],
        read.get("p50", ""),
    ]


def findings(results: dict[str, Any]) -> list[str]:
    """What the table says, in words, derived from the figures."""
    stages = {s["stage"]: s for s in results["footprint"]["stages"]}
    needed = ("fresh, idle", "loaded, same process", "restarted, idle", "restarted, after workload")
    if not all(name in stages for name in needed):
        return []
    fresh, loaded = stages["fresh, idle"], stages["loaded, same process"]
    idle, used = stages["restarted, idle"], stages["restarted, after workload"]
    disk = used["disk"]
    wal = round(disk["pgdata_mb"] - disk["database_mb"], 1)
    http = results["footprint"]["http_messages"]
    return [
        "What the figures say:",
        "",
        f"- The server process holds about the same at {disk['messages']:,} messages as "
        f"fresh: {idle['server_mb']['uss']} MB USS restarted and idle, "
        f"{used['server_mb']['uss']} MB after the searches, against "
        f"{fresh['server_mb']['uss']} MB fresh (Python, the ONNX model and its runtime). "
        "The data does not live there.",
        f"- The process that had just stored and embedded {http:,} messages over HTTP held "
        f"{loaded['server_mb']['uss']} MB USS: working memory of the write path (the model "
        "embedding batches), which the process keeps once taken; the restarted server, "
        "which only searched, did not grow. Plan memory for the ingesting server.",
        f"- PostgreSQL: {idle['postgres_mb']['pss']} MB (PSS) restarted and idle, "
        f"{used['postgres_mb']['pss']} MB after the searches: shared buffers filled by the "
        f"pages the searches touched, at most shared_buffers ({disk['shared_buffers']}) "
        f"plus the backends' own ({used['postgres_mb']['uss']} MB USS in all). The rest "
        f"of the {disk['database_mb']} MB database is read through the operating "
        "system's page cache, which belongs to no process and is not counted here.",
        f"- On disk, pgdata ({disk['pgdata_mb']} MB) is the database plus {wal} MB of WAL "
        "and catalogue files, most of it WAL written by the load (recycled by checkpoints).",
    ]
