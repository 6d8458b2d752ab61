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
