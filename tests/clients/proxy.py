"""A fault-injecting HTTP proxy in front of a real server, for retry tests.

It forwards every request to the server. A rule may make it *lose the answer* (the server
handled the request, then the connection drops before the client hears back: the case
that duplicates a naive retry), or answer a status of its own (503, 429 with
``Retry-After``) without forwarding. It records every request it saw, with its headers.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Fault:
    """What to do to the ``times`` first requests that ``matches``: ``"lose"`` the answer,
    or answer ``status`` (with ``retry_after``) without forwarding."""

    matches: Callable[[str, str], bool]
    action: str  # "lose" or "answer"
    times: int = 1
    status: int = 503
    retry_after: int | None = None
    done: int = 0


@dataclass
class Proxy:
    url: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]


def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return method, target, headers, body


def _write_response(
    conn: socket.socket, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    lines = [f"HTTP/1.1 {status} X"]
    skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
    lines += [f"{k}: {v}" for k, v in headers if k.lower() not in skip]
    lines += [f"content-length: {len(body)}", "connection: close"]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


@contextmanager
def fault_proxy(upstream: str) -> Iterator[Proxy]:
    """A proxy on a free local port; ``proxy.faults`` may be changed while it runs."""
    forward = httpx.Client(base_url=upstream, timeout=60)
    holder: list[Proxy] = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            parsed = _read_request(conn)
            if parsed is None:
                return
            method, target, headers, body = parsed
            proxy = holder[0]
            path = target.split("?", 1)[0]
            proxy.seen.append(Seen(method, path, headers))
            fault = next(
                (f for f in proxy.faults if f.done < f.times and f.matches(method, path)), None
            )
            if fault is not None:
                fault.done += 1
                if fault.action == "answer":
                    extra = [("retry-after", str(fault.retry_after))] if fault.retry_after else []
                    payload = b'{"code": "injected", "message": "injected by the test proxy"}'
                    _write_response(
                        conn, fault.status, [("content-type", "application/json"), *extra], payload
                    )
                    return
            sent = {
                k: v
                for k, v in headers.items()
                if k not in ("host", "content-length", "connection")
            }
            response = forward.request(method, target, headers=sent, content=body)
            if fault is not None and fault.action == "lose":
                conn.shutdown(socket.SHUT_RDWR)  # handled upstream, but the answer is lost
                return
            _write_response(
                conn, response.status_code, list(response.headers.multi_items()), response.content
            )

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    holder.append(Proxy(f"http://{host}:{port}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        forward.close()
