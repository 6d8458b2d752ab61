"""The invoice QR code: layout arithmetic, and a real BOLT 11 invoice scanned off the screen.

Every on-screen check goes through ``tests/qr_raster.py``: the app's SVG screenshot is rasterised
and decoded by ZXing with inversion off, so the code has to be right as drawn, in black on white.

The invoice is built like LND's: besides the payment hash, memo, expiry and payment secret it
carries LND's ``min_final_cltv_expiry`` (80) and feature bits, and a sat amount that is not a round
hundred (3,127 sats, ``lnbc31270n``). With those the payload is 305 characters and the code is
version 11 at M, as NOTES.md says; the bare tags with a round 3,000 sats give 290 characters and
version 10, so the round-amount case is checked too.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence

import bolt11
import pytest
import qrcode
from bolt11 import (
    Bolt11,
    Feature,
    FeatureExtra,
    Features,
    FeatureState,
    MilliSatoshi,
    TagChar,
    Tags,
)
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.filter import LineFilter, Monochrome, NoColor, monochrome_style
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Static

from core.billing.qr import (
    Ecc,
    Layout,
    TooSmall,
    choose_layout,
    layout_size,
    qr_matrix,
    qr_payload,
)
from tests.qr_raster import decode_screen, rasterise_screen
from tui.widgets.qr_code import DARK_HEX, LIGHT_HEX, MESSAGE_WIDTH, QrCode, half_block_strips

MEMO = "Verselight: 300 credits"
AMOUNT_MSAT = 3_127_000


def make_invoice(amount_msat: int = AMOUNT_MSAT, *, like_lnd: bool = True) -> str:
    """A real, signed mainnet BOLT 11 invoice with a random preimage, secret and node key."""
    preimage = os.urandom(32)
    tags = Tags()
    tags.add(TagChar.payment_hash, hashlib.sha256(preimage).hexdigest())
    tags.add(TagChar.description, MEMO)
    tags.add(TagChar.expire_time, 900)
    tags.add(TagChar.payment_secret, os.urandom(32).hex())
    if like_lnd:
        tags.add(TagChar.min_final_cltv_expiry, 80)
        features: dict[Feature | FeatureExtra, FeatureState] = {
            Feature.var_onion_optin: FeatureState.required,
            Feature.payment_secret: FeatureState.required,
            Feature.basic_mpp: FeatureState.supported,
        }
        tags.add(TagChar.features, Features.from_feature_list(features))
    invoice = Bolt11(
        currency="bc", date=int(time.time()), tags=tags, amount_msat=MilliSatoshi(amount_msat)
    )
    return bolt11.encode(invoice, os.urandom(32).hex())


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NO_COLOR from the developer's shell; tests that want it set it themselves."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(scope="module")
def invoice() -> str:
    return make_invoice()


@pytest.fixture(scope="module")
def payload(invoice: str) -> str:
    return qr_payload(invoice)


class QrApp(App[None]):
    """Just the widget on a screen, recording what it tells its parent."""

    def __init__(self, invoice: str, *, theme: str | None = None, ansi_color: bool = False) -> None:
        super().__init__(ansi_color=ansi_color)
        self.invoice = invoice
        self.wanted_theme = theme
        self.reports: list[Message] = []

    def compose(self) -> ComposeResult:
        yield QrCode(self.invoice)

    def on_mount(self) -> None:
        if self.wanted_theme is not None:
            self.theme = self.wanted_theme

    def on_qr_code_shown(self, message: QrCode.Shown) -> None:
        self.reports.append(message)

    def on_qr_code_hidden(self, message: QrCode.Hidden) -> None:
        self.reports.append(message)


def widget_text(widget: QrCode) -> str:
    """The characters the widget draws, row by row."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def assert_decodes_to_invoice(texts: list[str], invoice: str) -> None:
    """Exactly one code, carrying the payload, whose invoice is the one we made."""
    assert texts == ["lightning:" + invoice.upper()]
    scheme, _, scanned = texts[0].partition(":")
    assert scheme == "lightning"
    decoded = bolt11.decode(scanned.lower())
    assert decoded.amount_msat == AMOUNT_MSAT
    assert decoded.expiry == 900
    assert decoded.description == MEMO
    assert decoded.payment_hash == bolt11.decode(invoice).payment_hash


# --- The payload and its size -------------------------------------------------------------------


def test_payload_has_lower_case_scheme_and_upper_case_invoice(invoice: str) -> None:
    payload = qr_payload(invoice)
    assert payload == "lightning:" + invoice.upper()
    assert qr_payload("lightning:" + invoice) == payload
    assert qr_payload(f"  {invoice.upper()}\n") == payload


def test_memo_invoice_is_version_11_at_m_and_9_at_l(payload: str) -> None:
    """NOTES.md: version 11 at M (61 modules), and 57x29 cells at L with a quiet zone of 2."""
    assert len(payload) == 305
    for ecc, version in ((ERROR_CORRECT_M, 11), (ERROR_CORRECT_L, 9)):
        code = qrcode.QRCode(error_correction=ecc, border=0, box_size=1)
        code.add_data(payload)
        code.make(fit=True)
        assert code.version == version
    assert _version(payload, "M") == 11
    assert _version(payload, "L") == 9
    assert layout_size(payload, "M", 4) == (69, 35)
    assert layout_size(payload, "M", 2) == (65, 33)
    assert layout_size(payload, "L", 2) == (57, 29)


def test_round_amount_without_lnd_tags_is_one_version_smaller() -> None:
    """290 characters fit version 10 at M: the version depends on the invoice, never assume it."""
    payload = qr_payload(make_invoice(3_000_000, like_lnd=False))
    assert len(payload) == 290
    assert _version(payload, "M") == 10
    assert layout_size(payload, "M", 4) == (65, 33)


def test_matrix_has_a_light_quiet_zone_around_the_symbol(payload: str) -> None:
    for quiet in (4, 2, 0):
        matrix = qr_matrix(payload, "M", quiet)
        side = 61 + 2 * quiet
        assert len(matrix) == side and all(len(row) == side for row in matrix)
        for i in range(quiet):
            assert not any(matrix[i]) and not any(matrix[-1 - i])
            assert not any(row[i] or row[-1 - i] for row in matrix)
        # The top-left finder pattern's corner is dark, just inside the quiet zone.
        assert matrix[quiet][quiet] is True
    assert _cells(qr_matrix(payload, "M", 4)) == (69, 35)
    assert _cells(qr_matrix(payload, "M", 2)) == (65, 33)
    assert _cells(qr_matrix(payload, "L", 2)) == (57, 29)
    assert _cells([]) == (0, 0)


def _version(payload: str, ecc: Ecc) -> int:
    """The QR version of the symbol the app draws: version v is 17 + 4v modules wide."""
    return (len(qr_matrix(payload, ecc, 0)) - 17) // 4


def _cells(matrix: list[list[bool]]) -> tuple[int, int]:
    """Terminal cells (columns, rows) the half-block drawing of ``matrix`` takes."""
    strips = half_block_strips(matrix)
    return (strips[0].cell_length if strips else 0), len(strips)


@pytest.mark.parametrize(
    ("cols", "rows", "expected"),
    [
        (100, 40, Layout("M", 4, 69, 35)),
        (69, 35, Layout("M", 4, 69, 35)),
        (68, 35, Layout("M", 2, 65, 33)),
        (69, 34, Layout("M", 2, 65, 33)),
        (65, 33, Layout("M", 2, 65, 33)),
        (64, 33, Layout("L", 2, 57, 29)),
        (65, 32, Layout("L", 2, 57, 29)),
        (57, 29, Layout("L", 2, 57, 29)),
        (56, 29, TooSmall(57, 29)),
        (57, 28, TooSmall(57, 29)),
        (80, 24, TooSmall(57, 29)),
        (0, 0, TooSmall(57, 29)),
    ],
)
def test_choose_layout(payload: str, cols: int, rows: int, expected: Layout | TooSmall) -> None:
    assert choose_layout(payload, cols, rows) == expected


def test_choose_layout_is_stable_at_its_own_size(payload: str) -> None:
    """The widget sizes itself to the layout, then asks again with that size: same answer."""
    for cols in range(50, 110):
        for rows in range(20, 45):
            fit = choose_layout(payload, cols, rows)
            if isinstance(fit, Layout):
                assert choose_layout(payload, fit.cols, fit.rows) == fit


def test_bad_error_correction_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match="error correction"):
        qr_matrix(payload, "H", 4)  # type: ignore[arg-type]


# --- Drawing --------------------------------------------------------------------------------------


def test_half_blocks_use_explicit_black_and_white(payload: str) -> None:
    """Top module in the foreground, bottom in the background; nothing but ▀ and spaces."""
    matrix = qr_matrix(payload, "M", 4)
    strips = half_block_strips(matrix)
    assert len(strips) == 35
    black, white = Style.parse(DARK_HEX).color, Style.parse(LIGHT_HEX).color
    for y, strip in enumerate(strips):
        assert strip.cell_length == 69
        cells = list(strip)
        assert len(cells) == 69
        for x, segment in enumerate(cells):
            style = segment.style
            assert style is not None
            top = matrix[2 * y][x]
            bottom = matrix[2 * y + 1][x] if 2 * y + 1 < len(matrix) else False
            assert style.bgcolor == (black if bottom else white)
            if top == bottom:
                assert segment.text == " "
            else:
                assert segment.text == "\u2580"
                assert style.color == (black if top else white)
            assert not style.reverse and not style.dim


def test_monochrome_filter_keeps_pure_black_and_white() -> None:
    """What NO_COLOR's Monochrome filter would do anyway: #000 stays #000, #fff stays #fff."""
    for foreground, background in ((DARK_HEX, LIGHT_HEX), (LIGHT_HEX, DARK_HEX)):
        style = Style(color=foreground, bgcolor=background)
        assert monochrome_style(style) == style


# --- On screen ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "ecc", "quiet"),
    [((100, 40), "M", 4), ((70, 33), "M", 2), ((64, 32), "L", 2), ((57, 29), "L", 2)],
)
async def test_code_on_screen_decodes_to_the_invoice(
    invoice: str, size: tuple[int, int], ecc: str, quiet: int
) -> None:
    app = QrApp(invoice)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        widget = app.query_one(QrCode)
        layout = widget.fit
        assert isinstance(layout, Layout)
        assert (layout.ecc, layout.quiet) == (ecc, quiet)
        assert widget.size == Size(layout.cols, layout.rows)
        assert widget.shows_code
        assert_decodes_to_invoice(decode_screen(app), invoice)
        assert [type(report) for report in app.reports] == [QrCode.Shown]
        assert isinstance(app.reports[0], QrCode.Shown) and app.reports[0].layout == layout


async def test_round_amount_invoice_decodes_too() -> None:
    """A version-10 code (the bare tags) draws and scans the same way."""
    invoice = make_invoice(3_000_000, like_lnd=False)
    app = QrApp(invoice)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.query_one(QrCode).size == Size(65, 33)
        assert decode_screen(app) == ["lightning:" + invoice.upper()]


async def test_too_small_terminal_shows_how_big_it_must_be(invoice: str) -> None:
    app = QrApp(invoice)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(QrCode)
        assert not widget.shows_code
        assert widget.has_class("-too-small")
        text = widget_text(widget)
        assert " ".join(text.split()) == "Make the terminal at least 80x29 to show the QR code"
        # Compact, so the parent can put the invoice text beside it.
        assert widget.size.width <= MESSAGE_WIDTH
        assert widget.size.height == len(text.splitlines()) == 2
        assert decode_screen(app) == []
        assert len(app.reports) == 1
        hidden = app.reports[0]
        assert isinstance(hidden, QrCode.Hidden)
        assert hidden.needed == TooSmall(57, 29)
        assert hidden.terminal == Size(80, 29)
        assert hidden.control is widget


async def test_size_message_follows_the_terminal(invoice: str) -> None:
    app = QrApp(invoice)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(50, 26)
        await pilot.pause()
        widget = app.query_one(QrCode)
        assert " ".join(widget_text(widget).split()) == (
            "Make the terminal at least 57x29 to show the QR code"
        )
        assert [type(report) for report in app.reports] == [QrCode.Hidden]


class SideBySideApp(QrApp):
    """The code in a ``1fr`` column beside a fixed-width panel, as a payment modal lays it out."""

    CSS = """
    #code { width: 1fr; align: center middle; }
    #side { width: 30; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="code"):
                yield QrCode(self.invoice)
            yield Static("Pay 3,127 sats\nExpires in 15:00", id="side")


@pytest.mark.parametrize(
    ("size", "expected"),
    [((100, 40), Layout("M", 4, 69, 35)), ((95, 40), Layout("M", 2, 65, 33))],
)
async def test_code_beside_a_panel_takes_the_room_left(
    invoice: str, size: tuple[int, int], expected: Layout
) -> None:
    app = SideBySideApp(invoice)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        widget = app.query_one(QrCode)
        assert widget.fit == expected
        assert app.query_one("#side").region.right <= size[0]
        assert not widget.region.overlaps(app.query_one("#side").region)
        assert_decodes_to_invoice(decode_screen(app), invoice)


async def test_growing_the_terminal_brings_the_code_back(invoice: str) -> None:
    app = QrApp(invoice)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(80, 29)
        await pilot.pause()
        assert_decodes_to_invoice(decode_screen(app), invoice)
        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        assert app.query_one(QrCode).size == Size(69, 35)
        assert_decodes_to_invoice(decode_screen(app), invoice)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert decode_screen(app) == []
        kinds = [(type(r).__name__, getattr(r, "layout", None)) for r in app.reports]
        assert kinds == [
            ("Hidden", None),
            ("Shown", Layout("L", 2, 57, 29)),
            ("Shown", Layout("M", 4, 69, 35)),
            ("Hidden", None),
        ]


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark", "nord", "solarized-light"])
async def test_theme_does_not_change_the_code(invoice: str, theme: str) -> None:
    app = QrApp(invoice, theme=theme)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert app.theme == theme
        assert_decodes_to_invoice(decode_screen(app), invoice)


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.mark.usefixtures("no_color")
@pytest.mark.parametrize(("ansi_color", "filter_type"), [(False, Monochrome), (True, NoColor)])
async def test_no_color_leaves_the_code_black_on_white(
    invoice: str, ansi_color: bool, filter_type: type
) -> None:
    """NO_COLOR adds Monochrome (truecolor themes) or NoColor (ANSI); the code opts out of both."""
    app = QrApp(invoice, ansi_color=ansi_color)
    assert app.no_color
    assert any(isinstance(f, filter_type) for f in app.get_line_filters())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        widget = app.query_one(QrCode)
        assert widget.get_line_filters() == ()
        assert_decodes_to_invoice(decode_screen(app), invoice)


class FilteredQrCode(QrCode):
    """The same widget, but taking the app's filters like any other widget."""

    def get_line_filters(self) -> Sequence[LineFilter]:
        return self.app.get_line_filters()


class FilteredQrApp(QrApp):
    def compose(self) -> ComposeResult:
        yield FilteredQrCode(self.invoice)


@pytest.mark.usefixtures("no_color")
async def test_without_the_opt_out_no_color_would_break_the_code(invoice: str) -> None:
    """Control: under an ANSI theme NoColor makes the code default-coloured, light on dark."""
    app = FilteredQrApp(invoice, ansi_color=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        assert decode_screen(app) == []


async def test_size_message_keeps_the_app_filters(invoice: str) -> None:
    app = QrApp(invoice)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        widget = app.query_one(QrCode)
        assert list(widget.get_line_filters()) == list(app.get_line_filters())


async def test_changing_the_invoice_redraws_the_code(invoice: str) -> None:
    other = make_invoice()
    app = QrApp(invoice)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        widget = app.query_one(QrCode)
        widget.invoice = other
        await pilot.pause()
        assert widget.invoice == other
        assert decode_screen(app) == ["lightning:" + other.upper()]


async def test_screenshot_picture_is_a_real_rasterisation(invoice: str) -> None:
    """The picture decoded is the whole screenshot, window chrome and all, not just the code."""
    app = QrApp(invoice)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        picture = rasterise_screen(app)
        # Rich's SVG cell is 12.2 px wide; at scale 2 a 100-column screen is over 2,400 px.
        assert picture.width > 2 * 12.2 * 100
        assert picture.mode == "L"
