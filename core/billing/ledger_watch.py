"""Waiting for an invoice by watching the ledger, not the node (served readers, DESIGN 11).

When Verselight is served, one watcher in the server process follows the node and credits
every payment; a reader process only needs to notice that its invoice row changed. SQLite's
``data_version`` changes whenever another connection commits, so the check costs one pragma
while nothing happens and one indexed read when something did: polling every 50 ms keeps the
buyer's dialog within the 500 ms target without a stream per reader.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from core.billing.invoices import Outcome
from core.billing.ledger import Ledger
from storage import invoices as inv
from storage import ledger_db

EVERY_S = 0.05


class LedgerWatch(threading.Thread):
    def __init__(
        self,
        open_ledger: Callable[[], Ledger],
        payment_hash: str,
        on_outcome: Callable[[str, Outcome], None],
        every_s: float = EVERY_S,
    ) -> None:
        super().__init__(daemon=True, name=f"ledger-watch-{payment_hash[:8]}")
        self._open_ledger = open_ledger
        self.payment_hash = payment_hash
        self._on_outcome = on_outcome
        self.every_s = every_s
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            ledger = self._open_ledger()
        except Exception:  # the reader says what is wrong with the ledger elsewhere
            return
        try:
            seen = -1
            while not self._halt.is_set():
                version = ledger_db.data_version(ledger.conn)
                if version != seen:
                    seen = version
                    row = inv.find(ledger.conn, self.payment_hash)
                    state = row.state if row else None
                    if state == "settled":
                        self._on_outcome(self.payment_hash, Outcome.CREDITED)
                        return
                    if state == "expired":
                        self._on_outcome(self.payment_hash, Outcome.EXPIRED)
                        return
                self._halt.wait(self.every_s)
        except Exception:
            return
        finally:
            ledger.close()
