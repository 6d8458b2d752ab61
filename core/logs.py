"""Where Verselight's own log goes: one small rotating file in the state dir, mode 0600.

The log is for operators chasing a problem (a node that refuses, a price source that fails);
user-facing messages are separate sentences. Nothing secret is logged: the LND client redacts
its macaroon and tokens are never passed to a logger.
"""

from __future__ import annotations

import logging
import os
import stat
from logging.handlers import RotatingFileHandler

from core.config import Paths
from storage.private import private_folder

LOG_NAME = "verselight.log"


def setup_logging(paths: Paths, level: int = logging.INFO) -> None:
    """Send the ``verselight`` loggers to the log file; quietly skip if it cannot be written."""
    logger = logging.getLogger("verselight")
    path = paths.state_dir / LOG_NAME
    for old in [h for h in logger.handlers if isinstance(h, RotatingFileHandler)]:
        if old.baseFilename == str(path.absolute()):
            return
        logger.removeHandler(old)  # another home in the same process (tests)
        old.close()
    try:
        private_folder(paths.state_dir)
        # Non-blocking: a FIFO planted at the path would otherwise block this open forever.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK, 0o600)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return  # a FIFO with a reader, a device: not a log file
        finally:
            os.close(fd)
        os.chmod(path, 0o600)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
