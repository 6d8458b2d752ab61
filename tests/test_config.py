"""Whatever the config file or the environment holds, loading it ends in a Config or in one
sentence naming the file or the key: never a hang, a traceback or memory running out."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from core.config import (
    LIMIT_BOUNDS,
    MAX_CONFIG_BYTES,
    ConfigError,
    load_config,
)
from storage.files import UnreadableFile, read_regular
from tests.cli_process import run_cli


def _load(home: Path, toml: str | bytes | None = None, **env: str):
    if toml is not None:
        path = home / "config" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(toml.encode() if isinstance(toml, str) else toml)
    return load_config(env={"VERSELIGHT_HOME": str(home), **env})


def _error(home: Path, toml: str | bytes | None = None, **env: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(home, toml, **env)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def _in_thread(fn, timeout: float = 5.0):
    """Run ``fn`` and fail (instead of hanging the suite) if it does not finish in time."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


# -- the one reader of user-chosen paths --------------------------------------------------------


def test_read_regular_reads_a_file_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_regular(path, 10).data == b"x" * 10
    with pytest.raises(UnreadableFile) as caught:
        read_regular(path, 9)
    assert caught.value.too_large and "larger than 9 bytes" in str(caught.value)
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing", 10)


def test_read_regular_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableFile, match="not a regular file"):
        _in_thread(lambda: read_regular(fifo, 100))


def test_read_regular_refuses_a_link_to_dev_zero_and_a_folder(tmp_path: Path) -> None:
    link = tmp_path / "zero"
    link.symlink_to("/dev/zero")
    with pytest.raises(UnreadableFile, match="not a regular file"):
        _in_thread(lambda: read_regular(link, 100))
    with pytest.raises(UnreadableFile, match="folder"):
        read_regular(tmp_path, 100)


# -- the config file ----------------------------------------------------------------------------


def test_config_file_that_is_a_fifo_is_one_sentence_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    with pytest.raises(ConfigError) as caught:
        _in_thread(lambda: _load(tmp_path))
    assert str(caught.value) == (
        f"The config file {path} cannot be read: it is not a regular file."
    )


def test_config_file_linked_to_dev_zero_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="not a regular file"):
        _in_thread(lambda: _load(tmp_path))


def test_huge_config_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    message = _error(tmp_path, b"# " + b"x" * MAX_CONFIG_BYTES)
    assert "larger than 256 KiB" in message and "config.toml" in message


def test_deeply_nested_toml_is_one_sentence(tmp_path: Path) -> None:
    message = _error(tmp_path, "x = " + "[" * 5000 + "]" * 5000)
    assert "nests tables or lists too deeply" in message


def test_non_utf8_and_invalid_toml_name_the_file(tmp_path: Path) -> None:
    assert "is not UTF-8 text" in _error(tmp_path, b"translation = '\xff\xfe'")
    message = _error(tmp_path, "session_days = = 3")
    assert "config.toml is not valid TOML" in message


def test_config_error_from_the_command_line_is_one_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "home" / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    env = {**os.environ, "VERSELIGHT_HOME": str(tmp_path / "home")}
    proc = run_cli("read", "John 3:16", env=env)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"verselight: The config file {path} cannot be read: it is not a regular file."
    ]


# -- every setting has bounds -------------------------------------------------------------------

HUGE = 9223372036854775807


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (f"session_days = {HUGE}", "'session_days' in "),
        ("session_days = 0", "'session_days' in "),
        ("session_days = 1.5", "'session_days' in "),
        ('session_days = "90"', "'session_days' in "),
        (f"[limits]\ndaily_credit_cap = {HUGE}", "'daily_credit_cap' in [limits] of "),
        (f"[limits]\nstale_hold_minutes = {HUGE}", "'stale_hold_minutes' in [limits] of "),
        ("[limits]\ngenerations_per_minute = -1", "'generations_per_minute' in [limits] of "),
        ("[limits]\ninvoices_per_minute = true", "'invoices_per_minute' in [limits] of "),
        ("[images]\ndeadline = 1e300", "'deadline' in [images] of "),
        ("[images]\ndeadline = inf", "'deadline' in [images] of "),
        ("[images]\nread_timeout = nan", "'read_timeout' in [images] of "),
        ("[images]\nconnect_timeout = 0", "'connect_timeout' in [images] of "),
        ('[images]\nmarkup = "1e999999999"', "'markup' in [images] of "),
        ("[images]\nmarkup = 1e300", "'markup' in [images] of "),
        ("[images]\nmarkup = [1]", "'markup' in [images] of "),
        (f"[images]\nmax_megabytes = {HUGE}", "'max_megabytes' in [images] of "),
        (f'[images.prices]\n"openai/x" = {HUGE}', "[images.prices] in "),
        ('[images]\ndefault_model = "open router/a b"', "'default_model' in [images] of "),
        ("[images]\nimages_url = 'https://a b'", "'images_url' in [images] of "),
        ("limits = 3", "[limits] in "),
    ],
)
def test_out_of_range_or_wrong_typed_setting_names_its_key(
    tmp_path: Path, toml: str, expected: str
) -> None:
    assert expected in _error(tmp_path, toml)


def test_each_limit_accepts_its_documented_bounds(tmp_path: Path) -> None:
    for key, (least, most) in LIMIT_BOUNDS.items():
        for value in (least, most):
            _load(tmp_path, f"[limits]\n{key} = {value}")
        assert f"'{key}'" in _error(tmp_path, f"[limits]\n{key} = {most + 1}")
    assert _load(tmp_path, "session_days = 3650").session_ttl.days == 3650


def test_unknown_key_is_echoed_without_its_control_characters(tmp_path: Path) -> None:
    message = _error(tmp_path, '[limits]\n"\\u001b[2J\\u202e" = 1')
    assert "\x1b" not in message and "\u202e" not in message
    assert "Unknown setting [limits] \\x1b[2J\\u202e in " in message


# -- the environment ----------------------------------------------------------------------------


def test_non_utf8_session_secret_is_one_sentence(tmp_path: Path) -> None:
    # os.environ holds the undecodable byte 0xff as the lone surrogate U+DCFF.
    secret = "a" * 40 + "\udcff"
    message = _error(tmp_path, VERSELIGHT_SESSION_SECRET=secret)
    assert message.startswith("VERSELIGHT_SESSION_SECRET must be UTF-8 text")


def test_non_utf8_session_secret_from_a_real_environment(tmp_path: Path) -> None:
    env = {k.encode(): v.encode() for k, v in os.environ.items() if not k.startswith("VERSE")}
    env[b"VERSELIGHT_HOME"] = os.fsencode(tmp_path)
    env[b"VERSELIGHT_SESSION_SECRET"] = b"\xff" * 40
    proc = run_cli("session", "show", env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(
        "verselight: VERSELIGHT_SESSION_SECRET must be UTF-8 text"
    )


def test_api_keys_and_urls_from_the_environment_are_checked(tmp_path: Path) -> None:
    assert "OPENROUTER_API_KEY must be printable ASCII" in _error(
        tmp_path, OPENROUTER_API_KEY="sk-\nX-Evil: 1"
    )
    assert "VERSELIGHT_IMAGES_KEY must be printable ASCII" in _error(
        tmp_path, VERSELIGHT_IMAGES_KEY="k\udcff"
    )
    assert "VERSELIGHT_OPENROUTER_URL must be an http" in _error(
        tmp_path, VERSELIGHT_OPENROUTER_URL="https://x\x1b[2J"
    )
    assert _load(tmp_path, OPENROUTER_API_KEY="sk-or-v1-abc").images.openrouter_key == (
        "sk-or-v1-abc"
    )


# -- other files whose path the user controls ---------------------------------------------------


def test_fifo_log_file_does_not_hang_a_command(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    os.mkfifo(state / "verselight.log")
    env = {**os.environ, "VERSELIGHT_HOME": str(tmp_path)}
    env.pop("VERSELIGHT_SESSION_SECRET", None)
    proc = run_cli("session", "show", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("session ")


def test_reader_state_that_is_a_fifo_or_dev_zero_means_start_at_the_beginning(
    tmp_path: Path,
) -> None:
    from core import reader_state

    fifo = tmp_path / "reader.json"
    os.mkfifo(fifo)
    assert _in_thread(lambda: reader_state.load(fifo)) is None
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    assert _in_thread(lambda: reader_state.load(zero)) is None
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    assert reader_state.load(deep) is None


def test_sword_conf_that_is_a_fifo_is_passed_over(tmp_path: Path) -> None:
    from core.bible.importers import sword

    mods = tmp_path / "sword" / "mods.d"
    mods.mkdir(parents=True)
    os.mkfifo(mods / "trap.conf")
    (mods / "zero.conf").symlink_to("/dev/zero")
    config = _load(tmp_path, VERSELIGHT_SWORD_PATH=str(tmp_path / "sword"))
    found = _in_thread(lambda: sword.discover(config))
    assert all(m.root != tmp_path / "sword" for m in found)


def test_stored_image_that_is_a_fifo_is_an_oserror_not_a_hang(tmp_path: Path) -> None:
    from core.generation.store import read_image_file

    fifo = tmp_path / "image.png"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        _in_thread(lambda: read_image_file(fifo))


@pytest.mark.parametrize("value", ["K\udcffJV", "\x1b[2J", "x" * 65])
def test_a_translation_that_cannot_be_an_id_names_the_variable(tmp_path: Path, value: str) -> None:
    message = _error(tmp_path, VERSELIGHT_TRANSLATION=value)
    assert message == "VERSELIGHT_TRANSLATION must be a translation id, such as KJV."


@pytest.mark.parametrize("toml", ['"\\u001b[2J"', '" "', "3", f'"{"x" * 65}"'])
def test_a_translation_in_the_file_that_cannot_be_an_id_names_the_key(
    tmp_path: Path, toml: str
) -> None:
    assert "'translation' in " in _error(tmp_path, f"translation = {toml}")


# -- settings that turn a feature off instead of stopping the app ------------------------------


def test_payment_and_renderer_settings_are_parsed_once_into_the_config(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        VERSELIGHT_LND_HOST="localhost:10009",
        VERSELIGHT_PRICE_URLS="Coinbase = http://127.0.0.1:8001 , kraken=http://127.0.0.1:8002",
        VERSELIGHT_IMAGE_RENDERER=" Sixel ",
    )
    assert config.payments.backend == {"VERSELIGHT_LND_HOST": "localhost:10009"}
    assert config.payments.price_urls == {
        "coinbase": "http://127.0.0.1:8001",
        "kraken": "http://127.0.0.1:8002",
    }
    assert config.payments.price_urls_problem is None
    assert (config.image_renderer, config.image_renderer_problem) == ("sixel", None)
    unset = _load(tmp_path)
    assert unset.payments.price_urls is None and unset.image_renderer == "auto"


def test_a_bad_price_url_or_renderer_setting_is_a_sentence_not_a_stop(tmp_path: Path) -> None:
    config = _load(
        tmp_path,
        VERSELIGHT_PRICE_URLS="binance=http://127.0.0.1:9",
        VERSELIGHT_IMAGE_RENDERER="nonsense",
    )
    assert config.payments.price_urls is None
    problem = config.payments.price_urls_problem
    assert problem is not None and "'binance' is not one" in problem
    assert config.image_renderer == "auto"
    assert "VERSELIGHT_IMAGE_RENDERER='nonsense' is not one of" in str(
        config.image_renderer_problem
    )
