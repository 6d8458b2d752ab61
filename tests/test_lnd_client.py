"""The LND client against a real gRPC server (the fake LND) over TLS on 127.0.0.1.

No mocks: every call crosses the wire with LND's method names, field numbers, metadata and error
texts. Nothing sleeps to synchronise; streams are awaited with ``FakeLnd.wait_for_streams`` and
deadlines, and every wait has a timeout.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from pathlib import Path

import bolt11
import pytest

from payments.lnd import (
    ENV_HOST,
    ENV_MACAROON,
    ENV_TLS_CERT,
    AddedInvoice,
    InvoiceState,
    LndClient,
    LndConfig,
    LndConfigError,
    LndError,
    LndErrorKind,
    classify,
    load_macaroon,
)
from tests.fake_lnd import FakeLnd
from tests.fake_lnd.certs import self_signed_cert

MEMO = "Verselight: 300 credits"
UNREACHABLE = "The Lightning node cannot be reached right now."


def preimage() -> bytes:
    return os.urandom(32)


def add(client: LndClient, value_sat: int = 300, r_preimage: bytes | None = None) -> AddedInvoice:
    return client.add_invoice(value_sat, MEMO, 900, r_preimage or preimage())


def no_node_details(message: str, fake: FakeLnd) -> None:
    assert "127.0.0.1" not in message
    assert str(fake.port) not in message
    assert "localhost" not in message


# -- unary calls -------------------------------------------------------------------------------


def test_add_lookup_and_list(lnd_client: LndClient) -> None:
    secret = preimage()
    added = lnd_client.add_invoice(300, MEMO, 900, secret)
    assert added.payment_hash == hashlib.sha256(secret).digest()
    assert added.add_index == 1
    assert added.payment_request.startswith("lnbc3u1")

    status = lnd_client.lookup_invoice(added.payment_hash)
    assert status.state is InvoiceState.OPEN
    assert (status.value_msat, status.amt_paid_msat, status.settle_index) == (300_000, 0, 0)
    assert (status.memo, status.expiry_s, status.add_index) == (MEMO, 900, 1)
    assert status.payment_request == added.payment_request
    assert not status.paid

    second = add(lnd_client, 500)
    newest = lnd_client.list_invoices()
    assert [i.payment_hash for i in newest.invoices] == [second.payment_hash]
    everything = lnd_client.list_invoices(10, reversed=False)
    assert [i.add_index for i in everything.invoices] == [1, 2]
    assert (everything.first_index_offset, everything.last_index_offset) == (1, 2)
    lnd_client.check()


def test_invoice_is_a_real_signed_bolt11(fake_lnd: FakeLnd, lnd_client: LndClient) -> None:
    added = add(lnd_client, 1234)
    decoded = bolt11.decode(added.payment_request)  # checks the signature, recovers the payee
    assert decoded.currency == "bc"
    assert decoded.amount_msat == 1_234_000
    assert decoded.description == MEMO
    assert decoded.expiry == 900
    assert decoded.payment_hash == added.payment_hash.hex()
    assert decoded.payee == fake_lnd.node_pubkey
    assert decoded.payment_secret


def test_same_preimage_twice_is_exists_and_lookup_finds_the_first(lnd_client: LndClient) -> None:
    secret = preimage()
    first = lnd_client.add_invoice(300, MEMO, 900, secret)
    with pytest.raises(LndError) as caught:
        lnd_client.add_invoice(300, MEMO, 900, secret)  # a retry after a crash
    assert caught.value.kind is LndErrorKind.EXISTS
    assert not caught.value.retryable
    found = lnd_client.lookup_invoice(hashlib.sha256(secret).digest())
    assert (found.payment_request, found.add_index) == (first.payment_request, first.add_index)
    assert len(lnd_client.list_invoices(10).invoices) == 1


def test_unknown_hash_is_not_found(lnd_client: LndClient) -> None:
    for _ in range(2):  # "there are no existing invoices", then "unable to locate invoice"
        with pytest.raises(LndError) as caught:
            lnd_client.lookup_invoice(os.urandom(32))
        assert caught.value.kind is LndErrorKind.NOT_FOUND
        assert str(caught.value) == "The Lightning node does not know this invoice."
        add(lnd_client)


def test_amount_and_preimage_are_checked_before_calling(lnd_client: LndClient) -> None:
    with pytest.raises(ValueError):
        lnd_client.add_invoice(0, MEMO, 900, preimage())
    with pytest.raises(ValueError):
        lnd_client.add_invoice(300, MEMO, 900, b"short")


# -- SubscribeSingleInvoice --------------------------------------------------------------------


def test_subscribe_single_sends_current_state_first_then_the_settlement(
    fake_lnd: FakeLnd, lnd_client: LndClient
) -> None:
    added = add(lnd_client)
    with lnd_client.subscribe_single(added.payment_hash, deadline_s=10) as stream:
        first = next(stream)
        assert first.state is InvoiceState.OPEN
        fake_lnd.settle(added.payment_hash)
        settled = next(stream)
        assert settled.state is InvoiceState.SETTLED
        assert settled.paid and settled.settle_index == 1
        assert list(stream) == []  # LND ends the stream after SETTLED

    # Subscribing after the fact: the current state (SETTLED) arrives first and the stream ends.
    with lnd_client.subscribe_single(added.payment_hash, deadline_s=10) as again:
        assert [s.state for s in again] == [InvoiceState.SETTLED]


def test_underpaid_settlement_is_not_paid(fake_lnd: FakeLnd, lnd_client: LndClient) -> None:
    added = add(lnd_client)
    fake_lnd.settle(added.payment_hash, amt_paid_msat=299_999)
    status = lnd_client.lookup_invoice(added.payment_hash)
    assert status.state is InvoiceState.SETTLED
    assert not status.paid


def test_expired_invoice_is_canceled_and_ends_the_stream(
    fake_lnd: FakeLnd, lnd_client: LndClient
) -> None:
    added = add(lnd_client)
    with lnd_client.subscribe_single(added.payment_hash, deadline_s=10) as stream:
        assert next(stream).state is InvoiceState.OPEN
        fake_lnd.expire(added.payment_hash)
        assert [s.state for s in stream] == [InvoiceState.CANCELED]
    assert lnd_client.lookup_invoice(added.payment_hash).state is InvoiceState.CANCELED


def test_subscribe_single_on_unknown_hash_ends_at_its_deadline(lnd_client: LndClient) -> None:
    with (
        lnd_client.subscribe_single(os.urandom(32), deadline_s=0.5) as stream,
        pytest.raises(LndError) as caught,
    ):
        next(stream)
    assert caught.value.kind is LndErrorKind.DEADLINE
    assert caught.value.retryable
    assert str(caught.value) == "The Lightning node did not answer in time."


def test_cancel_from_another_thread_ends_the_stream_quietly(
    fake_lnd: FakeLnd, lnd_client: LndClient
) -> None:
    stream = lnd_client.subscribe_single(os.urandom(32), deadline_s=60)
    outcome: list[object] = []

    def consume() -> None:
        try:
            outcome.append(list(stream))
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=consume)
    reader.start()
    assert fake_lnd.wait_for_streams(1)
    stream.cancel()
    reader.join(timeout=5)
    assert not reader.is_alive()
    assert outcome == [[]]
    assert fake_lnd.wait_for_streams(0)


# -- SubscribeInvoices -------------------------------------------------------------------------


def test_subscribe_invoices_streams_new_adds_and_settlements(
    fake_lnd: FakeLnd, lnd_client: LndClient
) -> None:
    old = add(lnd_client)
    fake_lnd.settle(old.payment_hash)  # before the subscription: 0, 0 replays nothing
    with lnd_client.subscribe_invoices(settle_index=0) as stream:
        assert fake_lnd.wait_for_streams(1)
        added = add(lnd_client)
        event = next(stream)
        assert (event.payment_hash, event.state) == (added.payment_hash, InvoiceState.OPEN)
        fake_lnd.cancel(add(lnd_client).payment_hash)  # cancellations are not streamed
        fake_lnd.settle(added.payment_hash)
        assert next(stream).state is InvoiceState.OPEN  # the add of the canceled one
        event = next(stream)
        assert (event.payment_hash, event.state, event.settle_index) == (
            added.payment_hash,
            InvoiceState.SETTLED,
            2,
        )
        assert event.paid


def test_replay_after_restart_delivers_missed_settlements_exactly_once(
    fake_lnd: FakeLnd,
) -> None:
    with LndClient(fake_lnd.config()) as first_run:
        invoices = [add(first_run) for _ in range(3)]
        fake_lnd.settle(invoices[0].payment_hash)
        with first_run.subscribe_invoices(settle_index=0) as stream:
            assert fake_lnd.wait_for_streams(1)
            fake_lnd.settle(invoices[1].payment_hash)
            last_processed = next(stream).settle_index
        assert last_processed == 2

    # The app is closed (and the node restarts) while the third invoice is paid.
    fake_lnd.stop()
    fake_lnd.start()
    fake_lnd.settle(invoices[2].payment_hash)

    with (
        LndClient(fake_lnd.config()) as second_run,
        second_run.subscribe_invoices(settle_index=last_processed) as stream,
    ):
        replayed = next(stream)
        assert (replayed.payment_hash, replayed.settle_index) == (invoices[2].payment_hash, 3)
        # A fresh invoice proves nothing else was replayed: its add is the very next event.
        # (The replayed event came through, so the stream is already registered for new ones.)
        marker = add(second_run)
        fake_lnd.settle(marker.payment_hash)
        following = [next(stream), next(stream)]
        assert [(e.payment_hash, e.state) for e in following] == [
            (marker.payment_hash, InvoiceState.OPEN),
            (marker.payment_hash, InvoiceState.SETTLED),
        ]


def test_dropped_stream_is_retryable_and_a_new_subscription_resumes(
    fake_lnd: FakeLnd, lnd_client: LndClient
) -> None:
    invoices = [add(lnd_client) for _ in range(2)]
    with lnd_client.subscribe_invoices(settle_index=0) as stream:
        assert fake_lnd.wait_for_streams(1)
        fake_lnd.settle(invoices[0].payment_hash)
        seen = next(stream).settle_index
        fake_lnd.drop_streams()
        with pytest.raises(LndError) as caught:
            next(stream)
    assert caught.value.kind is LndErrorKind.UNAVAILABLE
    assert caught.value.retryable
    assert str(caught.value) == UNREACHABLE

    fake_lnd.settle(invoices[1].payment_hash)  # paid while no one listened
    with lnd_client.subscribe_invoices(settle_index=seen) as resumed:
        event = next(resumed)
    assert (event.payment_hash, event.settle_index) == (invoices[1].payment_hash, 2)

    added = add(lnd_client)
    with lnd_client.subscribe_single(added.payment_hash, deadline_s=10) as single:
        assert next(single).state is InvoiceState.OPEN
        fake_lnd.drop_streams()
        with pytest.raises(LndError) as caught:
            next(single)
    assert caught.value.retryable


# -- failures ----------------------------------------------------------------------------------


def test_node_down_is_unavailable_in_plain_words(fake_lnd: FakeLnd, lnd_client: LndClient) -> None:
    added = add(lnd_client)
    fake_lnd.stop()
    for call in (lnd_client.check, lambda: add(lnd_client)):
        with pytest.raises(LndError) as caught:
            call()
        assert caught.value.kind is LndErrorKind.UNAVAILABLE
        assert caught.value.retryable
        assert caught.value.user_message == UNREACHABLE
        no_node_details(str(caught.value), fake_lnd)

    fake_lnd.start()  # same port; invoices survive like LND's database
    with LndClient(fake_lnd.config()) as client:
        assert client.lookup_invoice(added.payment_hash).add_index == 1


def test_tls_certificate_mismatch_is_unavailable(fake_lnd: FakeLnd) -> None:
    other_cert, _ = self_signed_cert("another node")
    with (
        LndClient(fake_lnd.config(tls_cert=other_cert)) as client,
        pytest.raises(LndError) as caught,
    ):
        client.check()
    assert caught.value.kind is LndErrorKind.UNAVAILABLE
    no_node_details(str(caught.value), fake_lnd)


def test_hung_node_ends_at_the_call_deadline(fake_lnd: FakeLnd) -> None:
    """A port that accepts TCP but never answers TLS: the call's deadline, not a hang."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        host = f"127.0.0.1:{silent.getsockname()[1]}"
        with (
            LndClient(fake_lnd.config(host=host, timeout_s=0.5)) as client,
            pytest.raises(LndError) as caught,
        ):
            client.lookup_invoice(os.urandom(32))
    assert caught.value.kind is LndErrorKind.DEADLINE
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("macaroon", "kind", "sentence"),
    [
        ("", LndErrorKind.AUTH, "The Lightning node did not accept Verselight's macaroon."),
        ("wrong", LndErrorKind.AUTH, "The Lightning node did not accept Verselight's macaroon."),
        (
            "router",
            LndErrorKind.PERMISSION,
            "The macaroon Verselight uses is not allowed to handle invoices.",
        ),
    ],
)
def test_macaroon_problems_are_clear_and_not_retryable(
    fake_lnd: FakeLnd, macaroon: str, kind: LndErrorKind, sentence: str
) -> None:
    value = {"wrong": os.urandom(64).hex(), "router": fake_lnd.router_macaroon_hex}.get(
        macaroon, macaroon
    )
    with LndClient(fake_lnd.config(macaroon_hex=value)) as client:
        for call in (client.check, lambda: add(client)):
            with pytest.raises(LndError) as caught:
                call()
            assert caught.value.kind is kind
            assert str(caught.value) == sentence
            assert not caught.value.retryable
        with client.subscribe_invoices(settle_index=0) as stream, pytest.raises(LndError) as caught:
            next(stream)
        assert caught.value.kind is kind


def test_readonly_macaroon_reads_but_cannot_add(fake_lnd: FakeLnd) -> None:
    with LndClient(fake_lnd.config(macaroon_hex=fake_lnd.readonly_macaroon_hex)) as client:
        client.check()
        with pytest.raises(LndError) as caught:
            add(client)
    assert caught.value.kind is LndErrorKind.PERMISSION


def test_locked_wallet(fake_lnd: FakeLnd, lnd_client: LndClient) -> None:
    fake_lnd.lock_wallet()
    with pytest.raises(LndError) as caught:
        lnd_client.check()
    assert caught.value.kind is LndErrorKind.LOCKED
    assert str(caught.value) == "The Lightning node's wallet is locked."
    assert not caught.value.retryable
    fake_lnd.unlock_wallet()
    lnd_client.check()


def test_the_macaroon_never_reaches_errors_or_logs(
    fake_lnd: FakeLnd, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = fake_lnd.config()
    wrong = fake_lnd.config(macaroon_hex=os.urandom(64).hex())
    messages: list[str] = [repr(good), repr(wrong)]
    with LndClient(good) as client:
        secret = preimage()
        client.add_invoice(300, MEMO, 900, secret)
        for call in (
            lambda: client.add_invoice(300, MEMO, 900, secret),
            lambda: client.lookup_invoice(os.urandom(32)),
        ):
            with pytest.raises(LndError) as caught:
                call()
            messages += [str(caught.value), repr(caught.value)]
        fake_lnd.stop()
        with pytest.raises(LndError) as caught:
            client.check()
        messages.append(str(caught.value))
        fake_lnd.start()
    with LndClient(wrong) as client, pytest.raises(LndError) as caught:
        client.check()
    messages.append(str(caught.value))
    assert any(r.name == "verselight.lnd" for r in caplog.records)  # the raw failures are logged
    messages += [record.getMessage() for record in caplog.records]
    for secret_hex in (good.macaroon_hex, wrong.macaroon_hex):
        assert not any(secret_hex in m or secret_hex.upper() in m for m in messages)


@pytest.mark.parametrize(
    ("details", "kind"),
    [
        ("expected 1 macaroon, got 0", LndErrorKind.AUTH),
        ("verification failed: signature mismatch after caveat verification", LndErrorKind.AUTH),
        ("unknown macaroon version: 1", LndErrorKind.AUTH),
        ("permission denied", LndErrorKind.PERMISSION),
        ("wallet locked, unlock it to enable full RPC access", LndErrorKind.LOCKED),
        ("invoice with payment hash already exists", LndErrorKind.EXISTS),
        ("waiting to start, RPC services not available", LndErrorKind.UNAVAILABLE),
        ("something new", LndErrorKind.OTHER),
    ],
)
def test_lnd_texts_sent_as_unknown_are_told_apart(details: str, kind: LndErrorKind) -> None:
    import grpc

    assert classify(grpc.StatusCode.UNKNOWN, details) is kind


# -- configuration -----------------------------------------------------------------------------


def test_from_env_not_configured_is_none() -> None:
    assert LndConfig.from_env({}) is None
    assert LndConfig.from_env({ENV_HOST: " ", ENV_TLS_CERT: "", "PATH": "/bin"}) is None


def test_from_env_with_files_reaches_the_node(fake_lnd: FakeLnd, tmp_path: Path) -> None:
    cert = tmp_path / "tls.cert"
    cert.write_bytes(fake_lnd.tls_cert)
    mac = tmp_path / "invoice.macaroon"
    mac.write_bytes(bytes.fromhex(fake_lnd.macaroon_hex))
    env = {ENV_HOST: fake_lnd.host, ENV_TLS_CERT: str(cert), ENV_MACAROON: str(mac)}
    config = LndConfig.from_env(env)
    assert config is not None
    assert config.macaroon_hex == fake_lnd.macaroon_hex
    assert fake_lnd.macaroon_hex not in repr(config)
    with LndClient(config) as client:
        client.check()

    as_hex = LndConfig.from_env({**env, ENV_MACAROON: fake_lnd.macaroon_hex.upper()})
    assert as_hex == config


@pytest.mark.parametrize("missing", [ENV_HOST, ENV_TLS_CERT, ENV_MACAROON])
def test_from_env_half_configured_names_what_is_missing(tmp_path: Path, missing: str) -> None:
    env = {ENV_HOST: "localhost:10009", ENV_TLS_CERT: "tls.cert", ENV_MACAROON: "abcd"}
    del env[missing]
    with pytest.raises(LndConfigError) as caught:
        LndConfig.from_env(env)
    assert missing in str(caught.value)
    assert str(caught.value).endswith(".")


def test_from_env_bad_values_are_sentences(tmp_path: Path) -> None:
    cert = tmp_path / "tls.cert"
    cert.write_bytes(self_signed_cert()[0])
    empty = tmp_path / "empty.macaroon"
    empty.write_bytes(b"")
    not_pem = tmp_path / "not.pem"
    not_pem.write_bytes(b"hello")
    good = {ENV_HOST: "localhost:10009", ENV_TLS_CERT: str(cert), ENV_MACAROON: "abcd"}
    cases = {
        "host:port": {**good, ENV_HOST: "localhost"},
        "Cannot read the LND TLS certificate": {**good, ENV_TLS_CERT: str(tmp_path / "nope")},
        "is not a PEM certificate": {**good, ENV_TLS_CERT: str(not_pem)},
        "Cannot read the LND macaroon file": {**good, ENV_MACAROON: str(tmp_path / "nope.mac")},
        "is empty": {**good, ENV_MACAROON: str(empty)},
    }
    for expected, env in cases.items():
        with pytest.raises(LndConfigError) as caught:
            LndConfig.from_env(env)
        assert expected in str(caught.value)
    assert LndConfig.from_env(good) is not None


def test_from_env_refuses_devices_fifos_and_huge_files_in_a_sentence(tmp_path: Path) -> None:
    """/dev/zero as the certificate or macaroon used to be read until memory ran out, and a
    FIFO blocked forever; now only a regular file of sane size is read."""
    cert = tmp_path / "tls.cert"
    cert.write_bytes(self_signed_cert()[0])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.macaroon"
    huge.write_bytes(b"\x02" * (1024 * 1024))
    good = {ENV_HOST: "localhost:10009", ENV_TLS_CERT: str(cert), ENV_MACAROON: "abcd"}
    cases = [
        ({**good, ENV_TLS_CERT: "/dev/zero"}, "LND TLS certificate /dev/zero: it is not a regular"),
        ({**good, ENV_MACAROON: "/dev/zero"}, "macaroon file /dev/zero: it is not a regular file"),
        ({**good, ENV_TLS_CERT: str(fifo)}, "it is not a regular file"),
        ({**good, ENV_MACAROON: str(huge)}, "it is larger than 64 KiB"),
        ({**good, ENV_MACAROON: "ab" * (64 * 1024 + 1)}, "longer than any LND makes"),
        ({**good, ENV_HOST: "localhost:99999"}, "host:port"),
        ({**good, ENV_HOST: "localhost:\u00b2"}, "host:port"),
        ({**good, ENV_HOST: "local\x1bhost:10009"}, "host:port"),
    ]
    for env, expected in cases:
        done = threading.Event()
        box: list[BaseException] = []

        def attempt(
            env: dict[str, str] = env,
            box: list[BaseException] = box,
            done: threading.Event = done,
        ) -> None:
            try:
                LndConfig.from_env(env)
            except BaseException as exc:
                box.append(exc)
            done.set()

        threading.Thread(target=attempt, daemon=True).start()
        assert done.wait(10), env
        assert len(box) == 1 and isinstance(box[0], LndConfigError), box
        assert expected in str(box[0])


def test_doctor_reports_a_macaroon_at_dev_zero_in_one_line(
    verselight_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    cert = verselight_home / "tls.cert"
    cert.write_bytes(self_signed_cert()[0])
    monkeypatch.setenv(ENV_HOST, "127.0.0.1:1")
    monkeypatch.setenv(ENV_TLS_CERT, str(cert))
    monkeypatch.setenv(ENV_MACAROON, "/dev/zero")
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", "coinbase=http://127.0.0.1:1")
    monkeypatch.setenv("VERSELIGHT_OPENROUTER_URL", "http://127.0.0.1:1")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL payments         LND: Cannot read the LND macaroon file /dev/zero: it is not a regular "
        "file." in out
    )


def test_load_macaroon_takes_hex_or_a_path(tmp_path: Path) -> None:
    assert load_macaroon(" 0201ABcd ") == "0201abcd"
    path = tmp_path / "invoice.macaroon"
    path.write_bytes(b"\x02\x01\xff")
    assert load_macaroon(str(path)) == "0201ff"


def test_doctor_escapes_a_path_with_control_characters(
    verselight_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    monkeypatch.setenv(ENV_HOST, "127.0.0.1:1")
    monkeypatch.setenv(ENV_TLS_CERT, str(verselight_home / "\x1b[2Jtls.cert"))
    monkeypatch.setenv(ENV_MACAROON, "abcd")
    monkeypatch.setenv("VERSELIGHT_PRICE_URLS", "coinbase=http://127.0.0.1:1")
    monkeypatch.setenv("VERSELIGHT_OPENROUTER_URL", "http://127.0.0.1:1")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2Jtls.cert" in out
