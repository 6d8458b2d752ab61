"""Buying credits end to end below the UI: real ledger file, real gRPC fake LND, real BOLT11."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import bolt11
import pytest

from core.billing.invoices import (
    BUNDLE_CREDITS,
    MEMO,
    InvoiceDesk,
    Outcome,
    PendingInvoice,
    Poller,
    Watcher,
)
from core.billing.ledger import Ledger, RateLimited
from core.billing.limits import Limits
from payments.backend import PaymentError
from payments.lnd import LndClient, LndError, LndErrorKind
from payments.price import sats_for_usd
from storage import invoices as inv
from storage import ledger as db
from tests.fake_lnd import FakeLnd

PRICE = Decimal("97123.45")
SID = "ab" * 16


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    led = Ledger.open(path)
    db.create_session(led.conn, SID, led.clock())
    led.close()
    return path


@pytest.fixture
def desks(ledger_path: Path, lnd_client: LndClient) -> Iterator[list[InvoiceDesk]]:
    """Desks are made on demand (one per thread, as the app does) and all closed at the end."""
    made: list[InvoiceDesk] = []

    def make() -> InvoiceDesk:
        desk = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
        made.append(desk)
        return desk

    made.append(make())
    yield made
    for desk in made:
        desk.ledger.close()


def purchases(ledger_path: Path) -> list[str]:
    led = Ledger.open(ledger_path)
    try:
        rows = led.conn.execute("SELECT payment_hash FROM entries WHERE kind = 'purchase'")
        return [r[0] for r in rows]
    finally:
        led.close()


def balance(ledger_path: Path) -> int:
    led = Ledger.open(ledger_path)
    try:
        return led.balance(SID).balance
    finally:
        led.close()


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    """Wait on a condition checked whenever a watcher reports (an Event per check)."""
    done = threading.Event()
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            if condition():
                done.set()
                return
            deadline.wait(0.02)
    finally:
        timer.cancel()
    raise AssertionError(f"timed out waiting for {what}")


def test_an_invoice_freezes_its_quote_and_decodes_to_it(desks, fake_lnd: FakeLnd) -> None:
    desk = desks[0]
    pending = desk.open_invoice(SID)
    assert pending.sats == sats_for_usd(Decimal(3), PRICE) == 3089
    assert (pending.usd, pending.btc_usd, pending.credits) == (Decimal(3), PRICE, BUNDLE_CREDITS)
    decoded = bolt11.decode(pending.payment_request)
    assert decoded.amount_msat == pending.sats * 1000
    assert decoded.expiry == 900
    assert decoded.description == MEMO
    assert decoded.payment_hash == pending.payment_hash
    row = inv.get(desk.ledger.conn, pending.payment_hash)
    assert row is not None and row.btc_usd == str(PRICE) and row.amount_sats == 3089
    assert hashlib.sha256(bytes.fromhex(row.preimage_hex)).hexdigest() == pending.payment_hash


def test_reopening_gives_the_same_unexpired_invoice(desks) -> None:
    first = desks[0].open_invoice(SID)
    again = desks[0].open_invoice(SID)
    assert again == first


def test_a_retry_after_a_crash_finds_the_same_invoice(desks, fake_lnd: FakeLnd) -> None:
    desk = desks[0]
    pending = desk.open_invoice(SID)
    # The crash: LND has the invoice, but our row never got its payment request.
    with db.transaction(desk.ledger.conn):
        desk.ledger.conn.execute(
            "UPDATE invoices SET payment_request = NULL WHERE payment_hash = ?",
            (pending.payment_hash,),
        )
    assert desk.recover() == 0
    again = desk.open_invoice(SID)
    assert again.payment_request == pending.payment_request
    assert len(fake_lnd.list(_all_invoices()).invoices) == 1


def _all_invoices():
    from payments.lnrpc import lightning_pb2

    return lightning_pb2.ListInvoiceRequest(num_max_invoices=100)


def test_settled_invoice_is_credited_once_whoever_looks(desks, fake_lnd, ledger_path) -> None:
    desk = desks[0]
    pending = desk.open_invoice(SID)
    assert desk.check(pending.payment_hash) is Outcome.WAITING
    fake_lnd.settle(bytes.fromhex(pending.payment_hash))
    assert desk.check(pending.payment_hash) is Outcome.CREDITED
    assert desk.check(pending.payment_hash) is Outcome.ALREADY_CREDITED
    assert purchases(ledger_path) == [pending.payment_hash]
    assert balance(ledger_path) == 300
    assert desk.settle_index() == 1


def test_underpaid_invoice_is_not_credited(desks, fake_lnd, ledger_path) -> None:
    pending = desks[0].open_invoice(SID)
    fake_lnd.settle(bytes.fromhex(pending.payment_hash), amt_paid_msat=pending.sats * 1000 - 1)
    assert desks[0].check(pending.payment_hash) is Outcome.WAITING
    assert purchases(ledger_path) == []


def test_expiry_is_lnds_word_not_ours(desks, fake_lnd, ledger_path) -> None:
    desk = desks[0]
    pending = desk.open_invoice(SID)
    fake_lnd.expire(bytes.fromhex(pending.payment_hash))
    assert desk.check(pending.payment_hash) is Outcome.EXPIRED
    row = inv.get(desk.ledger.conn, pending.payment_hash)
    assert row is not None and row.state == "expired"
    assert balance(ledger_path) == 0


def test_paid_while_the_app_was_closed_is_credited_at_the_next_start(
    ledger_path, lnd_client, fake_lnd
) -> None:
    desk = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
    pending = desk.open_invoice(SID)
    desk.ledger.close()  # the app closes
    fake_lnd.settle(bytes.fromhex(pending.payment_hash))  # paid from a phone meanwhile
    restarted = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
    try:
        assert restarted.recover() == 1
    finally:
        restarted.ledger.close()
    assert purchases(ledger_path) == [pending.payment_hash]


def test_the_global_stream_replays_from_the_stored_settle_index(
    ledger_path, lnd_client, fake_lnd
) -> None:
    desk = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
    first = desk.open_invoice(SID)
    fake_lnd.settle(bytes.fromhex(first.payment_hash))
    assert desk.check(first.payment_hash) is Outcome.CREDITED  # settle_index 1 stored
    with db.transaction(desk.ledger.conn):  # a second purchase, a minute later
        desk.ledger.conn.execute("UPDATE invoices SET expires_at = '2000-01-01' WHERE 1")
    second = desk.open_invoice(SID)
    desk.ledger.close()
    fake_lnd.settle(bytes.fromhex(second.payment_hash))  # while nobody watched

    seen: list[tuple[str, Outcome]] = []
    watcher = Watcher(
        lambda: InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE),
        lambda h, o: seen.append((h, o)),
    )
    watcher.start()
    try:
        wait_until(lambda: seen, "the replayed settlement")
    finally:
        watcher.stop()
        watcher.join(5)
    assert seen == [(second.payment_hash, Outcome.CREDITED)]  # the first is not replayed
    assert sorted(purchases(ledger_path)) == sorted([first.payment_hash, second.payment_hash])


def test_three_watchers_and_two_settle_events_make_one_purchase(
    ledger_path, lnd_client, fake_lnd
) -> None:
    desk = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
    pending = desk.open_invoice(SID)
    desk.ledger.close()

    def new_desk() -> InvoiceDesk:
        return InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)

    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record(_: str, outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)

    watchers: list[Watcher | Poller] = [
        Watcher(new_desk, record),
        Watcher(new_desk, record, payment_hash=pending.payment_hash),
        Poller(new_desk, pending.payment_hash, record, every_s=0.05),
    ]
    for w in watchers:
        w.start()
    try:
        assert fake_lnd.wait_for_streams(2)
        fake_lnd.settle(bytes.fromhex(pending.payment_hash))
        wait_until(lambda: len(outcomes) >= 3, "all three watchers to see the payment")
        # A second settle event for the same payment, as a resubscription delivers it: a new
        # single-invoice stream starts with the invoice's current state, SETTLED.
        late = Watcher(new_desk, record, payment_hash=pending.payment_hash)
        watchers.append(late)
        late.start()
        wait_until(lambda: len(outcomes) >= 4, "the second settle event")
    finally:
        for w in watchers:
            w.stop()
            w.join(5)
    assert outcomes.count(Outcome.CREDITED) == 1
    assert outcomes.count(Outcome.ALREADY_CREDITED) == 3
    assert purchases(ledger_path) == [pending.payment_hash]
    assert balance(ledger_path) == 300


def test_node_down_gives_a_sentence_and_the_credit_arrives_after_recovery(
    ledger_path, lnd_client, fake_lnd
) -> None:
    desk = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
    try:
        fake_lnd.stop()
        with pytest.raises(LndError) as down:
            desk.open_invoice(SID)
        assert down.value.retryable
        assert str(down.value) == "The Lightning node cannot be reached right now."
        assert "127.0.0.1" not in str(down.value)
        fake_lnd.start()
        # The user presses "Try again" until the client's channel has reconnected (~1 s).
        got: list[PendingInvoice] = []

        def retried() -> bool:
            try:
                got.append(desk.open_invoice(SID))
            except LndError as exc:
                assert exc.retryable
                return False
            return True

        wait_until(retried, "the node to be reachable again")
        pending = got[0]  # the same row as the failed attempt, registered now
        assert len(inv.open_invoices(desk.ledger.conn)) == 1
        fake_lnd.settle(bytes.fromhex(pending.payment_hash))
        assert desk.check(pending.payment_hash) is Outcome.CREDITED
    finally:
        desk.ledger.close()


def test_a_dropped_stream_is_resumed_and_the_payment_still_lands(
    ledger_path, lnd_client, fake_lnd
) -> None:
    desk = InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE)
    pending = desk.open_invoice(SID)
    desk.ledger.close()
    outcomes: list[Outcome] = []
    problems: list[PaymentError | None] = []
    watcher = Watcher(
        lambda: InvoiceDesk(Ledger.open(ledger_path), lnd_client, lambda: PRICE),
        lambda h, o: outcomes.append(o),
        problems.append,
        payment_hash=pending.payment_hash,
        until=pending.expires_at,
        max_backoff_s=0.2,
    )
    watcher.start()
    try:
        assert fake_lnd.wait_for_streams(1)
        fake_lnd.drop_streams()
        wait_until(lambda: any(p is not None for p in problems), "the drop to be reported")
        assert fake_lnd.wait_for_streams(1)  # resubscribed
        fake_lnd.settle(bytes.fromhex(pending.payment_hash))
        wait_until(lambda: outcomes, "the payment after the drop")
    finally:
        watcher.stop()
        watcher.join(5)
    assert outcomes == [Outcome.CREDITED]
    dropped = next(p for p in problems if p is not None)
    assert dropped.kind is LndErrorKind.UNAVAILABLE and dropped.retryable


def test_a_wrong_macaroon_is_a_clear_refusal(ledger_path, fake_lnd) -> None:
    client = LndClient(fake_lnd.config(macaroon_hex="00" * 32))
    desk = InvoiceDesk(Ledger.open(ledger_path), client, lambda: PRICE)
    try:
        with pytest.raises(LndError) as refused:
            desk.open_invoice(SID)
        assert refused.value.kind is LndErrorKind.AUTH and not refused.value.retryable
        assert "macaroon" in str(refused.value)
    finally:
        desk.ledger.close()
        client.close()


def test_invoices_are_rate_limited(ledger_path, lnd_client) -> None:
    led = Ledger.open(ledger_path, Limits(invoices_per_minute=2))
    desk = InvoiceDesk(led, lnd_client, lambda: PRICE)
    try:
        for _ in range(2):
            pending = desk.open_invoice(SID)
            with db.transaction(led.conn):  # pretend it expired so the next one is new
                led.conn.execute(
                    "UPDATE invoices SET expires_at = '2000-01-01' WHERE payment_hash = ?",
                    (pending.payment_hash,),
                )
        with pytest.raises(RateLimited):
            desk.open_invoice(SID)
    finally:
        led.close()
