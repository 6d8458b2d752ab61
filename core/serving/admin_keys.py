"""Which keys may ask for admin mode over SSH: ``admin_keys`` in the config dir, OpenSSH
``authorized_keys`` format. Only a visitor connecting as the user ``admin`` with one of these
keys is shown the admin password prompt; the password is still required."""

from __future__ import annotations

from pathlib import Path

import asyncssh

FILE_NAME = "admin_keys"
MAX_BYTES = 256 * 1024


def admin_keys_path(config_dir: Path) -> Path:
    return config_dir / FILE_NAME


def load(config_dir: Path) -> tuple[frozenset[str], str | None]:
    """The fingerprints of the admin keys, and a sentence when the file cannot be used (then
    no key is an admin key)."""
    path = admin_keys_path(config_dir)
    try:
        text = path.read_bytes()[:MAX_BYTES].decode("utf-8")
    except FileNotFoundError:
        return frozenset(), None
    except (OSError, UnicodeDecodeError) as exc:
        return frozenset(), f"{path} cannot be read ({exc}); nobody can be admin over SSH."
    fingerprints = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key = asyncssh.import_authorized_keys(line)
        except (asyncssh.KeyImportError, ValueError):
            return frozenset(), f"{path} line {number} is not a public key; nobody can be admin."
        del key
        fields = line.split()
        for start in range(len(fields)):
            try:
                public = asyncssh.import_public_key(" ".join(fields[start : start + 2]))
            except (asyncssh.KeyImportError, ValueError):
                continue
            fingerprints.add(public.get_fingerprint("sha256"))
            break
    return frozenset(fingerprints), None
