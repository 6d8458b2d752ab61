"""The ledger database's schema: its migrations, in order.

Each migration is a list of statements, applied in one transaction by
``storage.ledger_db.connect``; the database's ``user_version`` is the number applied. The money
rules live here, in triggers and CHECK constraints (see ``storage.ledger``).
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE sessions (
            id            TEXT PRIMARY KEY,
            created_at    TEXT NOT NULL,
            last_seen_at  TEXT NOT NULL,
            is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
            admin_since   TEXT,
            balance       INTEGER NOT NULL DEFAULT 0,
            held          INTEGER NOT NULL DEFAULT 0,
            CHECK (balance >= 0),
            CHECK (held >= 0 AND held <= balance)
        )""",
        """CREATE TABLE invoices (
            payment_hash  TEXT PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            credits       INTEGER NOT NULL CHECK (credits > 0),
            state         TEXT NOT NULL DEFAULT 'open'
                          CHECK (state IN ('open', 'settled', 'expired')),
            created_at    TEXT NOT NULL,
            settled_at    TEXT
        )""",
        "CREATE INDEX invoices_by_session ON invoices (session_id, created_at)",
        """CREATE TABLE images (
            id            TEXT PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            created_at    TEXT NOT NULL
        )""",
        """CREATE TABLE holds (
            id            INTEGER PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            amount        INTEGER NOT NULL CHECK (amount > 0),
            purpose       TEXT NOT NULL,
            state         TEXT NOT NULL DEFAULT 'open'
                          CHECK (state IN ('open', 'charged', 'released')),
            created_at    TEXT NOT NULL,
            closed_at     TEXT
        )""",
        "CREATE INDEX holds_open ON holds (state, created_at)",
        "CREATE INDEX holds_by_session ON holds (session_id, created_at)",
        """CREATE TABLE entries (
            id            INTEGER PRIMARY KEY,
            session_id    TEXT NOT NULL REFERENCES sessions(id),
            kind          TEXT NOT NULL CHECK (kind IN ('purchase', 'charge', 'grant', 'adjust')),
            amount        INTEGER NOT NULL CHECK (amount != 0),
            payment_hash  TEXT UNIQUE REFERENCES invoices(payment_hash),
            hold_id       INTEGER UNIQUE REFERENCES holds(id),
            image_id      TEXT REFERENCES images(id),
            note          TEXT,
            created_at    TEXT NOT NULL,
            CHECK (kind != 'purchase' OR (amount > 0 AND payment_hash IS NOT NULL)),
            CHECK (kind != 'charge'
                   OR (amount < 0 AND hold_id IS NOT NULL AND image_id IS NOT NULL)),
            CHECK (kind != 'grant' OR amount > 0),
            CHECK (kind = 'purchase' OR payment_hash IS NULL),
            CHECK (kind = 'charge' OR (hold_id IS NULL AND image_id IS NULL))
        )""",
        "CREATE INDEX entries_by_session ON entries (session_id, id)",
        "CREATE INDEX charges_by_day ON entries (session_id, kind, created_at)",
        """CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
           BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
        """CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
           BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END""",
        """CREATE TRIGGER entries_balance AFTER INSERT ON entries
           BEGIN UPDATE sessions SET balance = balance + NEW.amount WHERE id = NEW.session_id;
           END""",
        """CREATE TRIGGER holds_placed AFTER INSERT ON holds WHEN NEW.state = 'open'
           BEGIN UPDATE sessions SET held = held + NEW.amount WHERE id = NEW.session_id; END""",
        """CREATE TRIGGER holds_closed AFTER UPDATE OF state ON holds
           WHEN OLD.state = 'open' AND NEW.state != 'open'
           BEGIN UPDATE sessions SET held = held - OLD.amount WHERE id = OLD.session_id; END""",
        """CREATE TRIGGER holds_final BEFORE UPDATE OF state ON holds
           WHEN OLD.state != 'open'
           BEGIN SELECT RAISE(ABORT, 'a closed hold cannot change'); END""",
        """CREATE TABLE rate_events (
            session_id    TEXT NOT NULL,
            kind          TEXT NOT NULL,
            at            TEXT NOT NULL
        )""",
        "CREATE INDEX rate_events_recent ON rate_events (session_id, kind, at)",
        """CREATE TABLE admin_attempts (
            id            INTEGER PRIMARY KEY,
            at            TEXT NOT NULL,
            session_id    TEXT,
            ok            INTEGER NOT NULL CHECK (ok IN (0, 1))
        )""",
        """CREATE TABLE admin_lockout (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            lockouts      INTEGER NOT NULL DEFAULT 0,
            locked_until  TEXT,
            counting_from TEXT
        )""",
        "INSERT INTO admin_lockout (id, lockouts) VALUES (1, 0)",
        """CREATE TABLE audit (
            id            INTEGER PRIMARY KEY,
            at            TEXT NOT NULL,
            session_id    TEXT,
            event         TEXT NOT NULL,
            detail        TEXT NOT NULL DEFAULT ''
        )""",
    ],
    # 2: one charge per image; each session's spending per UTC day kept by a trigger (the
    # daily cap reads one row); Lightning invoices carry their frozen quote, our preimage and
    # LND's request; the settle index of the last LND settlement processed lets a restart
    # resume LND's invoice stream from it.
    [
        "CREATE UNIQUE INDEX charges_once_per_image ON entries (image_id)"
        " WHERE image_id IS NOT NULL",
        "DROP INDEX charges_by_day",
        """CREATE TABLE daily_spend (
            session_id    TEXT NOT NULL,
            day           TEXT NOT NULL,
            credits       INTEGER NOT NULL,
            PRIMARY KEY (session_id, day)
        ) WITHOUT ROWID""",
        """INSERT INTO daily_spend (session_id, day, credits)
           SELECT session_id, substr(created_at, 1, 10), -sum(amount) FROM entries
           WHERE kind = 'charge' GROUP BY 1, 2""",
        """CREATE TRIGGER entries_daily_spend AFTER INSERT ON entries WHEN NEW.kind = 'charge'
           BEGIN
             INSERT INTO daily_spend (session_id, day, credits)
             VALUES (NEW.session_id, substr(NEW.created_at, 1, 10), -NEW.amount)
             ON CONFLICT (session_id, day) DO UPDATE SET credits = credits - NEW.amount;
           END""",
        "ALTER TABLE invoices ADD COLUMN preimage_hex TEXT",
        "ALTER TABLE invoices ADD COLUMN payment_request TEXT",
        "ALTER TABLE invoices ADD COLUMN amount_sats INTEGER",
        "ALTER TABLE invoices ADD COLUMN usd TEXT",
        "ALTER TABLE invoices ADD COLUMN btc_usd TEXT",
        "ALTER TABLE invoices ADD COLUMN expires_at TEXT",
        """CREATE TABLE lnd_cursor (
            id            INTEGER PRIMARY KEY CHECK (id = 1),
            settle_index  INTEGER NOT NULL DEFAULT 0
        )""",
        "INSERT INTO lnd_cursor (id, settle_index) VALUES (1, 0)",
    ],
    # 3: illustrations. Each image row carries the whole transparency record of DESIGN.md
    # section 7 (rows from before this migration have none and are not shown); holds name the
    # process that placed them, so a crash's holds are released at the next start without
    # waiting for them to grow stale; per-model duration stats for the ETA; a day-long cache
    # of provider model lists.
    [
        *(
            f"ALTER TABLE images ADD COLUMN {column}"
            for column in (
                "book INTEGER",
                "chapter INTEGER",
                "verse INTEGER",
                "reference TEXT",
                "translation TEXT",
                "verse_text TEXT",
                "theme TEXT",
                "aspect_ratio TEXT",
                "prompt TEXT",
                "prompt_version INTEGER",
                "prompt_inputs TEXT",
                "provider TEXT",
                "model TEXT",
                "credits INTEGER CHECK (credits IS NULL OR credits >= 0)",
                "provider_cost TEXT",
                "duration_ms INTEGER",
                "width INTEGER",
                "height INTEGER",
                "mime TEXT",
                "size INTEGER",
                "sha256 TEXT",
                "file TEXT",
                "admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1))",
            )
        ),
        "CREATE INDEX images_by_verse ON images (book, chapter, verse, created_at)",
        "ALTER TABLE holds ADD COLUMN owner TEXT",
        """CREATE TABLE model_stats (
            provider      TEXT NOT NULL,
            model         TEXT NOT NULL,
            resolution    TEXT NOT NULL,
            count         INTEGER NOT NULL CHECK (count > 0),
            avg_seconds   REAL NOT NULL CHECK (avg_seconds >= 0),
            updated_at    TEXT NOT NULL,
            PRIMARY KEY (provider, model, resolution)
        ) WITHOUT ROWID""",
        """CREATE TABLE model_lists (
            provider      TEXT PRIMARY KEY,
            fetched_at    TEXT NOT NULL,
            body          TEXT NOT NULL
        )""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
