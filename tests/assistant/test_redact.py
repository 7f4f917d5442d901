"""assistant/redact.py: which values are secrets, and how they are masked."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

from pydantic import SecretStr

from assistant import Assistant
from assistant.redact import RedactingFilter, redact, register_secrets, secret_values
from newsdesk.settings import Settings
from tests.fixtures.core import make_settings


def test_every_secret_field_of_the_settings_is_found_short_ones_aside() -> None:
    settings = Settings()
    settings.llm.api_key = SecretStr(" sk-nested-0001 ")
    settings.slack.bot_token = SecretStr("xoxb-nested-0002")
    settings.slack.signing_secret = SecretStr("short")  # too short to mask without blotting out words
    settings.server.api_token = SecretStr("")
    assert sorted(secret_values(settings)) == ["sk-nested-0001", "xoxb-nested-0002"]


def test_redact_masks_each_occurrence_and_a_longer_secret_whole() -> None:
    settings = Settings()
    settings.llm.api_key = SecretStr("abcdefgh-key")
    settings.server.api_token = SecretStr("abcdefgh-key-and-more")
    register_secrets(settings)
    text = "sent abcdefgh-key-and-more, then abcdefgh-key twice: abcdefgh-key"
    assert redact(text) == "sent ***, then *** twice: ***"
    assert redact("nothing secret here") == "nothing secret here"


def test_the_log_filter_masks_messages_and_tracebacks_on_its_handler_only() -> None:
    settings = Settings()
    settings.llm.api_key = SecretStr("sk-filter-test-0003")
    register_secrets(settings)
    masked, plain = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(masked)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise RuntimeError("the proxy said: invalid key sk-filter-test-0003")
    except RuntimeError:
        logger.exception("request with %s failed", "sk-filter-test-0003")
    finally:
        logger.removeHandler(handler)
    logging.StreamHandler(plain).handle(logging.LogRecord("x", logging.INFO, __file__, 1, "sk-filter-test-0003", None, None))
    assert "sk-filter-test-0003" not in masked.getvalue()
    assert "request with *** failed" in masked.getvalue() and "invalid key ***" in masked.getvalue()
    assert plain.getvalue() == "sk-filter-test-0003\n"  # nothing process-wide: other handlers are untouched


def test_an_assistant_leaves_logging_and_the_excepthooks_as_they_were(example_store: Path, cache_dir: Path) -> None:
    factory, hook = logging.getLogRecordFactory(), sys.excepthook
    settings = make_settings(example_store, cache_dir)
    settings.llm.api_key = SecretStr("sk-no-global-hooks-0004")
    Assistant(settings)
    assert logging.getLogRecordFactory() is factory and sys.excepthook is hook
    assert redact("key sk-no-global-hooks-0004") == "key ***"
