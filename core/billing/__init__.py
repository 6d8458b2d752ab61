"""Credits: the ledger, its limits, invoices and the shop.

``LedgerError`` is importable from here without loading the ledger itself, for front ends
that only need to catch it before the credit side is open.
"""

from storage.ledger_db import LedgerError as LedgerError
