"""The server's ed25519 host key: made once under the data dir (0600), then always the same,
so returning visitors' clients recognise the host."""

from __future__ import annotations

from pathlib import Path

import asyncssh

from core.files import PRIVATE_MODE
from core.sessions.files import publish_private

FILE_NAME = "ssh_host_ed25519_key"


class HostKeyError(Exception):
    """``str()`` is a sentence for the operator."""


def host_key_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_or_create(data_dir: Path) -> asyncssh.SSHKey:
    path = host_key_path(data_dir)
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        try:
            publish_private(path, key.export_private_key())
        except OSError as exc:
            raise HostKeyError(f"The host key {path} cannot be made ({exc.strerror}).") from None
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(PRIVATE_MODE)
        return asyncssh.read_private_key(path)
    except (OSError, asyncssh.KeyImportError, ValueError) as exc:
        raise HostKeyError(
            f"The host key {path} cannot be read ({exc}); move it away to make a new one "
            "(returning visitors' clients will then warn that the host key changed)."
        ) from None
