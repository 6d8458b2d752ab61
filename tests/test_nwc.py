"""The Nostr Wallet Connect client against a real local relay and a wallet-service stand-in.

Everything crosses real websockets: nostr-sdk's LocalRelay on 127.0.0.1, the client under test
(``payments.nwc.NwcWallet``, its own loop thread) and the wallet stand-in (``tests/nwc_stand_in``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import bolt11
import nostr_sdk as ns
import pytest

from payments.bolt11_facts import Bolt11Error, read_bolt11
from payments.nwc import (
    InvoiceState,
    NwcError,
    NwcInvoice,
    NwcTimeout,
    NwcUnavailable,
    NwcWallet,
)
from payments.nwc_uri import ENV_URI, NwcUri, NwcUriError, parse_nwc_uri
from tests.nwc_stand_in import LocalNostrRelay, LoopThread, StandInWallet

MEMO = "Verselight: 300 credits"
SATS = 300
MSAT = SATS * 1000
WALLET = "b889ff5b1513b641e2a139f661a661364979c5beee91842f8f0ef42ab558e9d4"
SECRET = "71a8c14c1407c113601079c4302dab36460f0ccd0ad506f1f2dc73b5100e4f3c"


@pytest.fixture
def open_wallet() -> Iterator[Callable[..., NwcWallet]]:
    """Opens ``NwcWallet`` connections and closes every one after the test."""
    opened: list[NwcWallet] = []

    def open_(uri: str, timeout: float = 5.0) -> NwcWallet:
        wallet = NwcWallet(uri, timeout=timeout)
        opened.append(wallet)
        return wallet

    yield open_
    for wallet in opened:
        wallet.close()


def _one_sentence(text: str) -> bool:
    return text.endswith(".") and "\n" not in text and "Traceback" not in text


# -- the URI ----------------------------------------------------------------------------------


def test_uri_with_percent_encoded_relays_names_every_relay_once() -> None:
    uri = parse_nwc_uri(
        f"nostr+walletconnect://{WALLET}?relay=wss%3A%2F%2Frelay.one.example%2Fnwc"
        f"&relay=wss%3A%2F%2Frelay.two.example&relay=wss://relay.one.example/nwc"
        f"&secret={SECRET}&lud16=shop%40example.com"
    )
    assert uri == NwcUri(
        wallet_pubkey=WALLET,
        relays=("wss://relay.one.example/nwc", "wss://relay.two.example"),
        secret=SECRET,
        lud16="shop@example.com",
    )


def test_uri_with_plain_or_twice_encoded_relays_and_no_slashes() -> None:
    plain = parse_nwc_uri(
        f"  nostr+walletconnect:{WALLET.upper()}?relay=ws://127.0.0.1:7777/path"
        f"&relay={quote(quote('wss://relay.example:443', safe=''), safe='')}"
        f"&secret={SECRET.upper()}\n"
    )
    assert plain.wallet_pubkey == WALLET
    assert plain.secret == SECRET
    assert plain.relays == ("ws://127.0.0.1:7777/path", "wss://relay.example:443")
    assert plain.lud16 is None


def test_uri_from_the_environment() -> None:
    assert NwcUri.from_env({}) is None
    assert NwcUri.from_env({ENV_URI: "  "}) is None
    found = NwcUri.from_env(
        {ENV_URI: f"nostr+walletconnect://{WALLET}?relay=wss://r.example&secret={SECRET}"}
    )
    assert found is not None and found.relays == ("wss://r.example",)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        (f"https://{WALLET}?relay=wss://r.example&secret={SECRET}", "must start with"),
        (f"nostr+walletconnect://abc?relay=wss://r.example&secret={SECRET}", "wallet key"),
        (f"nostr+walletconnect://{WALLET}?secret={SECRET}", "no relay"),
        (
            f"nostr+walletconnect://{WALLET}?relay=https://r.example&secret={SECRET}",
            "relay number 1",
        ),
        (
            f"nostr+walletconnect://{WALLET}?relay=wss://a.example&relay=wss:///x&secret={SECRET}",
            "relay number 2",
        ),
        (
            f"nostr+walletconnect://{WALLET}?relay=wss://r.example:port&secret={SECRET}",
            "relay number 1",
        ),
        (f"nostr+walletconnect://{WALLET}?relay=wss://r.example", "no secret"),
        (
            f"nostr+walletconnect://{WALLET}?relay=wss://r.example&secret={SECRET[:-1]}",
            "secret must",
        ),
        (
            f"nostr+walletconnect://{WALLET}?relay=wss://r.example&secret={SECRET}&secret={SECRET}",
            "more than one secret",
        ),
        (
            f"nostr+walletconnect://{WALLET}?relay=wss://r.example&secret={WALLET}",
            "repeats the wallet's public key",
        ),
        (f"nostr+walletconnect://{WALLET}?relay=wss://r.example&secret={SECRET} x", "spaces"),
        ("nostr+walletconnect://" + "a" * 5000, "longer than"),
    ],
)
def test_bad_uri_is_one_sentence_that_never_repeats_the_secret(text: str, says: str) -> None:
    with pytest.raises(NwcUriError) as caught:
        parse_nwc_uri(text)
    message = str(caught.value)
    assert says in message
    assert _one_sentence(message)
    assert SECRET not in message.lower()


def test_the_secret_stays_out_of_repr() -> None:
    uri = parse_nwc_uri(f"nostr+walletconnect://{WALLET}?relay=wss://r.example&secret={SECRET}")
    assert SECRET not in repr(uri)
    assert WALLET in repr(uri)


# -- BOLT 11 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("msat", [1, 10, 1_000, MSAT, 123_456_789, 100_000_000_000])
def test_bolt11_amount_and_hash_read_as_the_bolt11_library_wrote_them(msat: int) -> None:
    payment_hash = hashlib.sha256(str(msat).encode()).hexdigest()
    tags = bolt11.Tags()
    tags.add(bolt11.TagChar.payment_hash, payment_hash)
    tags.add(bolt11.TagChar.payment_secret, "11" * 32)
    tags.add(bolt11.TagChar.description, MEMO)
    invoice = bolt11.encode(
        bolt11.Bolt11(
            currency="bc", date=1_700_000_000, tags=tags, amount_msat=bolt11.MilliSatoshi(msat)
        ),
        "22" * 32,
    )
    facts = read_bolt11("lightning:" + invoice.upper())
    assert (facts.amount_msat, facts.payment_hash) == (msat, payment_hash)
    with pytest.raises(Bolt11Error, match="checksum"):
        read_bolt11(invoice[:-1] + ("q" if invoice[-1] != "q" else "p"))


# -- make, look up, settle --------------------------------------------------------------------


@pytest.mark.parametrize("nip44", [True, False], ids=["nip44-wallet", "nip04-only-wallet"])
def test_make_and_lookup_round_trip(nwc_service, open_wallet, nip44: bool) -> None:
    service: StandInWallet = nwc_service(nip44=nip44, notify=False)
    wallet = open_wallet(service.uri)

    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    decoded = bolt11.decode(invoice.bolt11)  # a real, signed invoice
    assert decoded.amount_msat == MSAT == invoice.amount_msat
    assert decoded.payment_hash == invoice.payment_hash
    assert decoded.description == MEMO
    assert decoded.expiry == 900
    assert invoice.state is InvoiceState.PENDING

    pending = wallet.lookup_invoice(invoice.payment_hash)
    assert pending.state is InvoiceState.PENDING and not pending.pays(MSAT)
    assert pending.bolt11 == invoice.bolt11

    service.settle(invoice.payment_hash)  # no notification: the lookup alone tells
    settled = wallet.lookup_invoice(invoice.payment_hash)
    assert settled.state is InvoiceState.SETTLED
    assert settled.pays(MSAT) and not settled.pays(MSAT + 1)
    assert settled.settled_at is not None

    expected = "nip44_v2" if nip44 else "nip04"
    assert [(r.method, r.encryption) for r in service.requests] == [
        ("make_invoice", expected),
        ("lookup_invoice", expected),
        ("lookup_invoice", expected),
    ]
    assert service.requests[0].params == {"amount": MSAT, "description": MEMO, "expiry": 900}


def test_forgotten_invoice_is_not_found_never_paid(nwc_service, open_wallet) -> None:
    service = nwc_service()
    wallet = open_wallet(service.uri)
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    service.forget(invoice.payment_hash)

    found = wallet.lookup_invoice(invoice.payment_hash)
    assert found == NwcInvoice(invoice.payment_hash, "", 0, InvoiceState.NOT_FOUND)
    assert not found.pays(MSAT)


def test_invoice_for_another_amount_is_refused(nwc_service, open_wallet) -> None:
    service = nwc_service(extra_msat=1000)
    wallet = open_wallet(service.uri)
    with pytest.raises(NwcError) as caught:
        wallet.make_invoice(SATS, MEMO, expiry_s=900)
    assert str(caught.value) == "The wallet made an invoice for another amount than 300 sats."


def test_slow_wallet_is_waited_for(nwc_service, open_wallet) -> None:
    service = nwc_service(delay_s=0.6)
    wallet = open_wallet(service.uri, timeout=5.0)
    started = time.monotonic()
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    assert time.monotonic() - started >= 0.6
    assert invoice.amount_msat == MSAT


# -- what the wallet offers -------------------------------------------------------------------


def test_info_of_a_receive_only_nip44_wallet(nwc_service, open_wallet) -> None:
    wallet = open_wallet(nwc_service().uri)
    info = wallet.check()
    assert info.methods >= {"make_invoice", "lookup_invoice"}
    assert info.encryption == "nip44_v2"
    assert not info.can_spend
    assert info.notifies_payments
    assert info.missing_methods == frozenset()


def test_info_shows_a_connection_that_can_also_pay(nwc_service, open_wallet) -> None:
    service = nwc_service(nip44=False, methods=("make_invoice", "lookup_invoice", "pay_invoice"))
    info = open_wallet(service.uri).check()
    assert info.can_spend
    assert info.spending_methods == {"pay_invoice"}
    assert info.encryption == "nip04"
    assert info.encryptions == frozenset()


def test_check_fails_for_a_connection_without_make_invoice(nwc_service, open_wallet) -> None:
    service = nwc_service(methods=("lookup_invoice", "get_balance"))
    with pytest.raises(NwcError) as caught:
        open_wallet(service.uri).check()
    assert str(caught.value) == (
        "The wallet connection does not offer make_invoice, which Verselight needs."
    )


@pytest.mark.parametrize(
    ("code", "passes"), [("INTERNAL", True), ("OTHER", True), ("UNAUTHORIZED", False)]
)
def test_check_takes_any_answer_about_an_unknown_invoice_but_a_refused_connection(
    nwc_service, open_wallet, code: str, passes: bool
) -> None:
    wallet = open_wallet(nwc_service(refuse_with=code).uri)
    if passes:
        assert wallet.check().methods >= {"make_invoice", "lookup_invoice"}
    else:
        with pytest.raises(NwcError) as caught:
            wallet.check()
        assert str(caught.value) == (
            "The wallet does not accept this connection (it may have been revoked)."
        )


def test_wallet_without_an_info_event_is_a_sentence(nwc_service, open_wallet) -> None:
    service = nwc_service(publish_info=False)
    with pytest.raises(NwcUnavailable) as caught:
        open_wallet(service.uri, timeout=1.0).make_invoice(SATS, MEMO, expiry_s=900)
    assert str(caught.value) == "The wallet's relays hold no NWC info event for it."
    assert service.requests == []


# -- notifications ----------------------------------------------------------------------------


@pytest.mark.parametrize("nip44", [True, False], ids=["nip44-wallet", "nip04-only-wallet"])
def test_payment_notification_arrives_once_and_proves_the_payment(
    nwc_service, open_wallet, nip44: bool
) -> None:
    service = nwc_service(nip44=nip44)
    wallet = open_wallet(service.uri)
    first = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    second = wallet.make_invoice(SATS, MEMO, expiry_s=900)

    service.settle(first.payment_hash)  # a NIP-44 wallet sends it as 23196 and 23197 both
    service.settle(second.payment_hash)
    note = wallet.wait_notification(timeout=5)
    assert note is not None
    assert note.payment_hash == first.payment_hash
    assert note.amount_msat == MSAT
    assert note.preimage_matches is True
    assert note.proves(MSAT)
    after = wallet.wait_notification(timeout=5)  # the duplicate of the first was dropped
    assert after is not None and after.payment_hash == second.payment_hash


def test_forged_notifications_are_never_proof(nwc_service, open_wallet) -> None:
    service = nwc_service()
    wallet = open_wallet(service.uri)
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    forger = ns.Keys.generate()

    # Another key, encrypting to us: dropped before anyone sees it.
    service.send_notification(invoice.payment_hash, signer=forger, kinds=[23197])
    service.send_notification(invoice.payment_hash, signer=forger, kinds=[23196])
    # The wallet's key with the wrong amount, then with a preimage that is not the invoice's.
    service.send_notification(invoice.payment_hash, amount_msat=MSAT - 1000, kinds=[23197])
    service.send_notification(
        invoice.payment_hash, amount_msat=MSAT + 1000, preimage="00" * 32, kinds=[23197]
    )

    wrong_amount = wallet.wait_notification(timeout=5)
    assert wrong_amount is not None and wrong_amount.amount_msat == MSAT - 1000
    assert not wrong_amount.proves(MSAT)
    wrong_preimage = wallet.wait_notification(timeout=5)
    assert wrong_preimage is not None and wrong_preimage.preimage_matches is False
    assert not wrong_preimage.proves(MSAT + 1000)
    # None of them settled anything.
    assert wallet.lookup_invoice(invoice.payment_hash).state is InvoiceState.PENDING


def test_withheld_notifications_leave_the_lookup(nwc_service, open_wallet) -> None:
    service = nwc_service(notify=False)
    wallet = open_wallet(service.uri)
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    service.settle(invoice.payment_hash)
    marker = wallet.make_invoice(1, "marker", expiry_s=900)
    service.send_notification(marker.payment_hash, kinds=[23197])
    note = wallet.wait_notification(timeout=5)  # the marker came: nothing came before it
    assert note is not None and note.payment_hash == marker.payment_hash
    assert wallet.lookup_invoice(invoice.payment_hash).pays(MSAT)


def test_close_ends_a_waiting_notification_reader(nwc_service, open_wallet) -> None:
    wallet = open_wallet(nwc_service().uri)
    seen: list[Any] = []
    reader = threading.Thread(target=lambda: seen.extend(wallet.notifications()))
    reader.start()
    wallet.close()
    reader.join(timeout=5)
    assert not reader.is_alive() and seen == []
    with pytest.raises(NwcError, match="closed"):
        wallet.lookup_invoice("00" * 32)


# -- relays come and go, wallets fall silent --------------------------------------------------


@pytest.mark.xdist_group("serial")
def test_relay_restarted_mid_wait_the_client_recovers(
    nostr_relay: LocalNostrRelay, nwc_service, open_wallet
) -> None:
    service = nwc_service()
    wallet = open_wallet(service.uri, timeout=10.0)
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    notes: list[Any] = []
    reader = threading.Thread(target=lambda: notes.append(next(wallet.notifications(), None)))
    reader.start()  # waiting for a notification all through the restart

    nostr_relay.restart()  # everything the relay held is gone; both sides must dial again
    started = time.monotonic()
    assert wallet.lookup_invoice(invoice.payment_hash).state is InvoiceState.PENDING
    recovered_s = time.monotonic() - started
    assert recovered_s < 5, recovered_s

    service.settle(invoice.payment_hash)
    reader.join(timeout=5)
    assert [n.payment_hash for n in notes] == [invoice.payment_hash]
    assert wallet.lookup_invoice(invoice.payment_hash).pays(MSAT)


def test_every_relay_is_used(
    nostr_loop: LoopThread, nostr_relay: LocalNostrRelay, nwc_service, open_wallet
) -> None:
    other = LocalNostrRelay(nostr_loop)
    try:
        service = nwc_service(relays=[other.url, nostr_relay.url], encode_relays=False)
        wallet = open_wallet(service.uri)
        assert wallet.uri.relays == (other.url, nostr_relay.url)
        wallet.make_invoice(SATS, MEMO, expiry_s=900)
        other.stop()  # the first relay goes away: the second carries on
        invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
        assert wallet.lookup_invoice(invoice.payment_hash).state is InvoiceState.PENDING
    finally:
        other.stop()


def test_a_lost_lookup_is_asked_again_but_never_a_lost_make_invoice(
    nwc_service, open_wallet
) -> None:
    service = nwc_service()
    wallet = open_wallet(service.uri, timeout=4.0)
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    service.ignore_next(1)
    assert wallet.lookup_invoice(invoice.payment_hash).state is InvoiceState.PENDING
    assert [r.method for r in service.requests[1:]] == ["lookup_invoice", "lookup_invoice"]

    service.ignore_next(1)
    with pytest.raises(NwcTimeout):
        open_wallet(service.uri, timeout=1.0).make_invoice(SATS, MEMO, expiry_s=900)
    assert [r.method for r in service.requests[3:]] == ["make_invoice"]  # asked once only
    assert list(service.invoices) == [invoice.payment_hash]  # the lost one made nothing


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        ("UNAUTHORIZED", "The wallet does not accept this connection (it may have been revoked)."),
        ("RESTRICTED", "The wallet connection is not allowed to make_invoice."),
        ("RATE_LIMITED", "The wallet is limiting requests; try again shortly."),
        ("SOMETHING_NEW", "The wallet refused make_invoice."),
    ],
)
def test_wallet_refusal_is_one_sentence_of_ours(
    nwc_service, open_wallet, code: str, sentence: str
) -> None:
    wallet = open_wallet(nwc_service(refuse_with=code).uri)
    with pytest.raises(NwcError) as caught:
        wallet.make_invoice(SATS, MEMO, expiry_s=900)
    assert str(caught.value) == sentence


def test_a_relay_limiting_requests_is_a_sentence_not_a_wait(
    nostr_relay: LocalNostrRelay, nwc_service, open_wallet
) -> None:
    wallet = open_wallet(nwc_service().uri, timeout=8.0)
    assert wallet.lookup_invoice("00" * 32).state is InvoiceState.NOT_FOUND
    nostr_relay.restart(notes_per_minute=0)  # now it refuses every event: "rate-limited: ..."
    started = time.monotonic()
    with pytest.raises(NwcUnavailable) as caught:
        wallet.lookup_invoice("00" * 32)
    assert time.monotonic() - started < 4.0  # reconnected, refused, and not retried until 8 s
    assert str(caught.value) == "The wallet's relay is limiting requests; try again shortly."


def test_silent_wallet_is_a_sentence_within_the_timeout(nwc_service, open_wallet) -> None:
    service = nwc_service(silent=True)
    wallet = open_wallet(service.uri, timeout=1.5)
    started = time.monotonic()
    with pytest.raises(NwcTimeout) as caught:
        wallet.make_invoice(SATS, MEMO, expiry_s=900)
    assert time.monotonic() - started < 3.0
    assert str(caught.value) == "The wallet did not answer within 1.5 s."
    assert caught.value.retryable
    assert [r.method for r in service.requests] == ["make_invoice"]  # it was asked


def test_no_relay_reachable_is_a_sentence_within_the_timeout(
    nostr_relay: LocalNostrRelay, nwc_service, open_wallet
) -> None:
    service = nwc_service()
    nostr_relay.stop()
    started = time.monotonic()
    wallet = open_wallet(service.uri, timeout=1.5)
    with pytest.raises(NwcUnavailable) as caught:
        wallet.lookup_invoice("00" * 32)
    assert time.monotonic() - started < 3.0
    assert str(caught.value) == "No relay of the wallet can be reached."
    assert caught.value.retryable


def test_close_fails_a_call_in_flight_at_once(nwc_service, open_wallet) -> None:
    service = nwc_service(silent=True)
    wallet = open_wallet(service.uri, timeout=10.0)
    failures: list[Exception] = []

    def ask() -> None:
        try:
            wallet.make_invoice(SATS, MEMO, expiry_s=900)
        except NwcError as exc:
            failures.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    deadline = time.monotonic() + 5
    while not service.requests and time.monotonic() < deadline:  # until the wallet was asked
        time.sleep(0.01)
    started = time.monotonic()
    wallet.close()
    asking.join(timeout=5)
    assert time.monotonic() - started < 2
    assert [str(f) for f in failures] == ["The wallet connection was closed."]


def test_a_wallet_on_the_second_relay_only_is_reached_and_notifies(
    nostr_loop: LoopThread, nostr_relay: LocalNostrRelay, nwc_service, open_wallet
) -> None:
    elsewhere = LocalNostrRelay(nostr_loop)
    try:
        service = nwc_service(relays=[nostr_relay.url])
        both = service.uri.replace("relay=", f"relay={quote(elsewhere.url, safe='')}&relay=", 1)
        wallet = open_wallet(both)
        assert wallet.uri.relays == (elsewhere.url, nostr_relay.url)
        invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
        service.settle(invoice.payment_hash)
        note = wallet.wait_notification(timeout=5)
        assert note is not None and note.proves(MSAT)
    finally:
        elsewhere.stop()


def test_the_secret_is_never_logged_or_shown(
    nwc_service, open_wallet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = nwc_service(silent=False)
    secret = parse_nwc_uri(service.uri).secret
    wallet = open_wallet(service.uri, timeout=1.0)
    invoice = wallet.make_invoice(SATS, MEMO, expiry_s=900)
    service.send_notification(invoice.payment_hash, signer=ns.Keys.generate(), kinds=[23197])
    service.silent = True
    with pytest.raises(NwcTimeout) as caught:
        wallet.lookup_invoice(invoice.payment_hash)
    shown = [repr(wallet), repr(wallet.uri), str(caught.value), caplog.text]
    assert all(secret not in text for text in shown)
