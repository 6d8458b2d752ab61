"""A TCP proxy on 127.0.0.1 (ephemeral port) in front of a real server, for the failures a
real server does not make on demand: refuse websockets (a notification stream that keeps
dropping), go down (every connection cut, new ones closed at once) and come back, or go silent
(connections accepted, nothing ever answered)."""

from __future__ import annotations

import contextlib
import enum
import socket
import threading


class Mode(enum.Enum):
    PASS = "pass"
    NO_WEBSOCKETS = "no websockets"  # HTTP passes; a websocket upgrade is cut at once
    DOWN = "down"  # every connection cut, new ones closed before a byte
    SILENT = "silent"  # new connections accepted and never answered


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = Mode.PASS
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: Mode) -> None:
        """Change what new connections meet; DOWN and NO_WEBSOCKETS also cut the open ones
        that would not pass now."""
        self.mode = mode
        if mode is Mode.DOWN:
            self.cut_all()

    def cut_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def close(self) -> None:
        self._closed.set()
        _close(self._listener)
        self.cut_all()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode is Mode.DOWN:
                _close(client)
                continue
            with self._lock:
                self._open.add(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        if self.mode is Mode.SILENT:
            return  # held open (until cut or closed), never answered
        try:
            first = client.recv(65536)
        except OSError:
            _close(client)
            return
        if not first or (
            self.mode is Mode.NO_WEBSOCKETS and b"upgrade: websocket" in first.lower()
        ):
            _close(client)
            return
        try:
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)
            upstream.sendall(first)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.add(upstream)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class PrefixProxy:
    """A real HTTP reverse proxy on 127.0.0.1 (ephemeral port) serving a server under a path
    prefix, as an operator might put LNbits at ``https://example.com/lnbits/``. It records the
    paths it was asked for; a path outside the prefix gets 404."""

    def __init__(self, target: str, prefix: str) -> None:
        import http.server

        import httpx

        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                outer.paths.append(self.path)
                if not self.path.startswith(prefix + "/"):
                    self.send_error(404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                with httpx.Client(base_url=target, timeout=30) as http:
                    answer = http.request(
                        self.command, self.path[len(prefix) :], content=body, headers=headers
                    )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_PATCH = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
