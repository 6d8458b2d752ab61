"""A SWORD module's .conf: its settings, and which drivers are Bibles. Kept apart from the
module finders (which read zips) so that listing a repository's modules loads little."""

from __future__ import annotations

MAX_CONF_BYTES = 1024 * 1024
"""A module's .conf is a few KiB; a bigger file in mods.d/ is not one."""

BIBLE_DRIVERS = frozenset({"ztext", "ztext4", "rawtext", "rawtext4"})


def parse_conf(text: str) -> dict[str, dict[str, str]]:
    """Module name -> its settings (keys in lower case; the first of repeated keys wins).

    SWORD confs continue a value on the next line when a line ends with a backslash.
    """
    modules: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    key = ""
    continuing = False
    for line in text.splitlines():
        stripped = line.strip()
        if continuing and current is not None and key:
            continuing = stripped.endswith("\\")
            current[key] += "\n" + stripped.rstrip("\\").strip()
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = modules.setdefault(stripped[1:-1].strip(), {})
            continue
        if current is None or "=" not in stripped:
            continue
        name, _, value = stripped.partition("=")
        continuing = value.endswith("\\")
        key = name.strip().lower()
        value = value.rstrip("\\").strip()
        if key in current:
            key = ""
        else:
            current[key] = value
    return modules


def decode(data: bytes) -> str:
    """Confs are UTF-8, or Latin-1 in old modules."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
