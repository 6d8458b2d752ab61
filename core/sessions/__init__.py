"""Anonymous sessions and tiers (DESIGN 4): a ledger row plus a signed token in the state dir.

Import the submodules directly (``core.sessions.tiers``, ``.tokens``, ``.manager``): keeping
this package empty keeps the JWT library off the fast ``read`` and ``search`` paths.
"""
