"""The ``verselight`` command line: the reader's launcher, plus plain commands for scripts.

Apart from the Textual app (``tui``): nothing here imports Textual at module level, so
``read``, ``search`` and the account commands start fast and pipe cleanly. Only starting the
reader loads ``tui.app``.
"""
