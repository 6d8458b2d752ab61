"""The generate dialog's picker: models with price and ETA, theme and shape, and the balance.

It reads the ledger (through the generator) each time the highlighted model or the shape
changes; those reads are guarded, because they run in message handlers, where an exception
would end the app. Starting a generation is the dialog's job: the picker only says which model
is chosen and whether it can be used.
"""

from __future__ import annotations

import logging
import sqlite3

from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from core.billing.ledger import LedgerError
from core.generation.catalog import Offer
from core.generation.prompts import ASPECT_RATIOS, DEFAULT_ASPECT_RATIO, THEMES
from core.generation.service import Generator
from core.generation.stats import Eta
from tui.generate_text import about, balance_line, eta_text, price_text, unreadable

log = logging.getLogger("verselight.tui.generate")

DATABASE_ERRORS = (sqlite3.Error, LedgerError)
"""What a read of the ledger raises when the database is locked, damaged or gone."""

NO_THEME = "none"
"""The theme select's value for "no theme" (a Select cannot hold None)."""


class PickPane(Vertical):
    """The pick state of the generate dialog (its buttons are handled by the dialog)."""

    def __init__(self, generator: Generator, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.generator = generator
        self.offers: list[Offer] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="verse")
        yield OptionList(id="models")
        with Horizontal(id="options"):
            yield Label("Theme", classes="option-label")
            yield Select(
                [("No theme", NO_THEME), *((t.label, t.id) for t in THEMES)],
                value=NO_THEME,
                allow_blank=False,
                compact=True,
                id="theme",
            )
            yield Label("Shape", classes="option-label")
            yield Select(
                [(ratio, ratio) for ratio in ASPECT_RATIOS],
                value=DEFAULT_ASPECT_RATIO,
                allow_blank=False,
                compact=True,
                id="aspect",
            )
        yield Static("", id="summary")
        yield Static("", id="balance")
        yield Static("", classes="notices")
        with Horizontal(classes="choices"):
            yield Button("Generate", id="start", variant="primary")
            yield Button("Buy credits", id="pick-buy", variant="primary")
            yield Button("Cancel", id="pick-close")

    @property
    def aspect(self) -> str:
        if not self.is_mounted:
            return DEFAULT_ASPECT_RATIO
        value = self.query_one("#aspect", Select).value
        return value if isinstance(value, str) else DEFAULT_ASPECT_RATIO

    @property
    def theme(self) -> str | None:
        value = self.query_one("#theme", Select).value
        return value if isinstance(value, str) and value != NO_THEME else None

    @property
    def chosen(self) -> Offer | None:
        """The highlighted model, when it is one that can be used."""
        index = self.query_one("#models", OptionList).highlighted
        if index is None or not 0 <= index < len(self.offers):
            return None
        offer = self.offers[index]
        return offer if offer.usable else None

    def show(self, verse: str) -> None:
        """Quote the verse and list the models, the first one highlighted."""
        self.query_one("#verse", Static).update(Content(verse))
        self.query_one("#models", OptionList).border_title = "Model"
        self.fill_models(keep=0)

    def fill_models(self, keep: int | None) -> None:
        """(Re)build the model list with ETAs for the chosen aspect ratio."""
        models = self.query_one("#models", OptionList)
        aspect = self.aspect
        models.set_options(
            Option(self._model_row(offer, aspect), id=offer.key, disabled=not offer.usable)
            for offer in self.offers
        )
        if keep is not None:
            models.highlighted = keep
        self.update_summary()

    def _model_row(self, offer: Offer, aspect: str) -> Table:
        """Name, price and ETA in columns; a refused model says why under its name."""
        row = Table.grid(expand=True, padding=(0, 0, 0, 2))
        row.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        row.add_column(justify="right", no_wrap=True)
        row.add_column(justify="right", no_wrap=True, width=12)
        if not offer.usable:
            row.add_row(Text(offer.name, style="dim"), Text("not offered", style="dim"), "")
            grid = Table.grid(expand=True)
            grid.add_column(ratio=1)
            grid.add_row(row)
            grid.add_row(Padding(Text(offer.refusal or "", style="dim italic"), (0, 0, 0, 2)))
            return grid
        eta = self._read_eta(offer, aspect)
        shown = about(eta) if eta is not None else Text("?", style="dim")
        row.add_row(Text(offer.name), Text(price_text(offer), style="bold"), shown)
        return row

    def _read_eta(self, offer: Offer, aspect: str) -> Eta | None:
        """The ETA, or None when the ledger (which keeps the timings) cannot be read: the list
        is rebuilt from message handlers, where an exception would end the app."""
        try:
            return self.generator.eta(offer, aspect)
        except DATABASE_ERRORS as exc:
            log.warning("Could not read the ETA of %s: %s", offer.key, exc)
            return None

    @on(OptionList.OptionHighlighted, "#models")
    def _model_highlighted(self) -> None:
        self.update_summary()

    @on(OptionList.OptionSelected, "#models")
    def _model_selected(self) -> None:
        """Enter on a model moves to the button; it never starts a generation by itself."""
        for button in ("#start", "#pick-buy"):
            if self.query_one(button, Button).display:
                self.query_one(button, Button).focus()
                return

    def update_summary(self) -> None:
        offer = self.chosen
        start = self.query_one("#start", Button)
        buy = self.query_one("#pick-buy", Button)
        summary = self.query_one("#summary", Static)
        balance = self.query_one("#balance", Static)
        if offer is None:
            summary.update("Pick a model.")
            balance.update("")
            start.display, buy.display = True, False
            start.disabled = True
            return
        try:
            ready = self.generator.readiness(offer)
            eta = self.generator.eta(offer, self.aspect)
        except DATABASE_ERRORS as exc:
            # Without the balance the price cannot be checked: say so, and start nothing.
            log.warning("Could not read the ledger for %s: %s", offer.key, exc)
            summary.update(Content(unreadable(exc)))
            balance.update("")
            balance.set_class(True, "-refused")
            start.display, buy.display = True, False
            start.disabled = True
            return
        source = "Drawn on this computer" if offer.is_sketch else f"From {offer.provider_label}"
        summary.update(
            Content.assemble(f"{source}: ", (price_text(offer), "bold"), f", {eta_text(eta)}.")
        )
        sketch_offered = any(o.is_sketch for o in self.offers)
        balance.update(Content(balance_line(ready, sketch_offered)))
        balance.set_class(not ready.allowed, "-refused")
        short = not ready.allowed and ready.missing > 0 and not ready.waiting_for_holds
        start.display, buy.display = not short, short
        start.disabled = not ready.allowed
