"""``verselight serve``: the reader for the public over SSH (DESIGN.md section 11).

The server authenticates visitors (any key: its fingerprint is the identity), starts one
reader process per terminal connection on its own pseudo-terminal, answers ``read`` and
``search`` exec requests, and runs the host's one settlement watcher. It never hosts the
reader itself (Textual is one app per process) and talks only to ``core``.
"""
