"""Logging set-up: one format, a level from settings, and secrets redacted everywhere."""

from __future__ import annotations

import logging
from collections.abc import Iterable

LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
REDACTED = "[redacted]"
QUIET_LOGGERS = {"alembic.runtime.plugins": logging.WARNING}
"""Loggers whose INFO lines are start-up noise (alembic lists its plugins on import)."""


class RedactSecrets(logging.Filter):
    """Replaces every known secret in a record's rendered message with ``[redacted]``.

    The record is rendered first (``getMessage``) so secrets passed as ``%s`` arguments or
    inside exception text are caught too.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Very short values would redact ordinary words; real tokens are long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self._scrub(record.getMessage())
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> logging.Handler:
    """Send every logger to stderr in one format, with secrets redacted; returns the handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    return handler
