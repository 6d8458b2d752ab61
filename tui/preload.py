"""The reader's parts that every served reader needs, for the readers' template
(``cli.reader_zygote``) to load once before it forks: what the reader imports for its first
frame, and what Textual loads just after it (the terminal driver, the scroll bars, the
character width table). Importing them in each fork again was about a tenth of its start."""

from __future__ import annotations


def load_reader() -> None:
    import textual.drivers.linux_driver
    import textual.layouts.horizontal
    import textual.layouts.stream
    import textual.pilot
    import textual.scrollbar  # noqa: F401
    from rich._unicode_data import load as load_cell_table

    import tui.app
    import tui.screens.onboarding
    import tui.screens.reader  # noqa: F401

    load_cell_table()  # "auto": as the reader's environment (the server's) says
