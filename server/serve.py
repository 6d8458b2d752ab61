"""Running the server: listen, run the host's one settlement watcher, and on SIGTERM or SIGINT
end every connection cleanly (readers quit and save, holds are released) within 5 s."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable

import asyncssh

from core.config import Config
from core.serving import admin_keys
from core.serving.host_key import load_or_create
from server.memory import release_freed_memory
from server.settings import ServeSettings
from server.ssh import VisitorServer
from server.visitors import Host
from server.zygote import Zygote, ZygoteGone

LOGIN_TIMEOUT_S = 30


class ServeError(Exception):
    """``str()`` is a sentence for the operator."""


def serve(
    config: Config, settings: ServeSettings, progress: Callable[[int, int], None] | None = None
) -> int:
    """Serve until SIGTERM or SIGINT; 0 once every connection has ended cleanly."""
    prepare_library(config, progress)
    return asyncio.run(_serve(config, settings))


def prepare_library(config: Config, progress: Callable[[int, int], None] | None) -> None:
    """Import the Bible before the first visitor, not behind every visitor's first screen, and
    in a child process: the server would otherwise keep what the import used for its whole
    life (110 MB instead of 72 measured). Raises ``LibraryError`` or ``ImportFailed`` (a
    sentence) when the library cannot be used."""
    from core.context import open_context

    context = open_context(config, first_run_import=False)
    try:
        if context.library.needs_first_run_import():
            context.library.import_default_in_child(progress)
    finally:
        context.close()


async def _serve(config: Config, settings: ServeSettings) -> int:
    key = load_or_create(config.paths.data_dir)
    fingerprints, problem = admin_keys.load(config.paths.config_dir)
    host = Host(config, settings, fingerprints)
    if problem:
        host.say(problem)
    try:
        server = await asyncssh.create_server(
            lambda: VisitorServer(host), settings.host, settings.port,
            server_host_keys=[key], encoding=None, login_timeout=LOGIN_TIMEOUT_S,
            allow_scp=False, agent_forwarding=False, x11_forwarding=False,
            line_editor=False, keepalive_interval=60, keepalive_count_max=3,
        )  # fmt: skip
    except OSError as exc:
        raise ServeError(
            f"Cannot listen on {settings.host} port {settings.port} ({exc.strerror})."
        ) from None
    host.zygote = await _start_zygote(host)
    port = server.sockets[0].getsockname()[1]
    host.say(
        f"Verselight serving on {settings.host} port {port} "
        f"(up to {settings.max_sessions} readers; host key {key.get_fingerprint('sha256')})"
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    release_freed_memory()
    watcher = _Payments(host)
    watcher.start()
    try:
        await stop.wait()
    finally:
        host.say("stopping: closing every connection")
        server.close()
        await asyncio.gather(
            *(reader.stop(settings.shutdown_grace_s) for reader in list(host.readers)),
            return_exceptions=True,
        )
        if host.zygote is not None:
            await host.zygote.close(settings.shutdown_grace_s)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1.0)
        await asyncio.to_thread(watcher.stop)
        host.close()
        host.say("stopped")
    return 0


async def _start_zygote(host: Host) -> Zygote | None:
    """The readers' template (``cli.reader_zygote``); None, and readers start the slow way,
    when it cannot start."""
    zygote = Zygote()
    try:
        await zygote.start(host.child_env(None))
    except (OSError, TimeoutError, ZygoteGone) as exc:
        host.say(f"readers start without a template ({exc or exc.__class__.__name__})")
        await zygote.close(0)
        return None
    return zygote


class _Payments:
    """The host's one settlement watcher: credits what was paid while no server ran, then
    follows the node's invoice stream. Reader processes only watch the ledger."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._stop: threading.Event = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payments", daemon=True)
        self._stop_watcher: object = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        from core.billing.shop import open_shop

        shop = open_shop(self.host.config)
        if not shop.available:
            self.host.say(f"payments: {shop.unavailable}")
            shop.close()
            return
        try:
            credited = shop.recover()
            if credited:
                self.host.say(f"payments: {credited} invoice(s) paid earlier were credited")
        except Exception as exc:
            self.host.say(f"payments: checking earlier invoices failed ({exc})")
        with self._lock:
            if self._stop.is_set():
                shop.close()
                return
            self._shop = shop
            self._watcher = shop.watch_all(self._report)
        self.host.say("payments: following the node's invoices")
        release_freed_memory()  # what connecting to the node used and freed

    def _report(self, payment_hash: str, outcome: object) -> None:
        self.host.say(f"payments: invoice {payment_hash[:12]} {getattr(outcome, 'value', outcome)}")

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            watcher = getattr(self, "_watcher", None)
            shop = getattr(self, "_shop", None)
        if watcher is not None:
            watcher.stop()
        if shop is not None:
            shop.close()
