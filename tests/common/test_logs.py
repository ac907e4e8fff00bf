"""Secrets never reach the log output."""

from __future__ import annotations

import io
import logging

from common.logs import REDACTED, configure_logging

TOKEN = "MTIzNDU2Nzg5.secret-discord-token"
CLIENT_ID = "f00dfacecafe1234"


def _capture(handler: logging.Handler) -> io.StringIO:
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    return stream


def test_secrets_are_redacted_in_messages_args_and_tracebacks() -> None:
    handler = configure_logging("DEBUG", [TOKEN, CLIENT_ID])
    stream = _capture(handler)
    log = logging.getLogger("anirec.test")
    log.info("connecting with %s", TOKEN)
    log.warning(f"header X-MAL-CLIENT-ID: {CLIENT_ID}")
    try:
        raise RuntimeError(f"bad token {TOKEN}")
    except RuntimeError:
        log.exception("failed")
    out = stream.getvalue()
    assert TOKEN not in out
    assert CLIENT_ID not in out
    assert out.count(REDACTED) >= 3
    assert "connecting with" in out and "RuntimeError" in out


def test_level_is_applied() -> None:
    handler = configure_logging("WARNING", [])
    stream = _capture(handler)
    logging.getLogger("anirec.test").info("quiet")
    logging.getLogger("anirec.test").warning("loud")
    assert "quiet" not in stream.getvalue()
    assert "loud" in stream.getvalue()


def test_start_up_noise_is_quiet_at_info() -> None:
    handler = configure_logging("INFO", [])
    stream = _capture(handler)
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.schemas")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001")
    assert "setup plugin" not in stream.getvalue()
    assert "Running upgrade" in stream.getvalue()
