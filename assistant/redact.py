"""Keep configured secrets (API keys, Slack tokens, signing secrets, the server's API token) out of what the process
writes: log records, tracebacks of uncaught exceptions, and error messages shown to users.

`protect(settings)` (every `Assistant` calls it) registers the value of each `SecretStr` in the settings; from then
on every log record this process creates, and every traceback Python prints for an uncaught exception, shows `***`
in its place, and `redact(text)` does the same for error messages. A secret usually reaches such text through an
upstream error that echoes the request (a proxy answering "invalid key sk-..."), never through our own code.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from pydantic import BaseModel, SecretStr

MASK = "***"
MIN_LENGTH = 8
"""Shorter values are not masked: they would blot out ordinary words, and are no secret anyway."""

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()  # longest first, so a secret containing another is masked whole
_installed = False


def protect(settings: BaseModel) -> None:
    """Mask every secret value of `settings` in logs, tracebacks and `redact` from now on."""
    global _secrets
    found = set(secret_values(settings))
    with _lock:
        if not found <= set(_secrets):
            _secrets = tuple(sorted(set(_secrets) | found, key=len, reverse=True))
        _install()


def secret_values(model: BaseModel) -> Iterator[str]:
    """The values of every SecretStr field in `model` and its nested models, if long enough to mask."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if len(secret.strip()) >= MIN_LENGTH:
                yield secret.strip()
        elif isinstance(value, BaseModel):
            yield from secret_values(value)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _install() -> None:
    """Hook the log record factory and the uncaught-exception hooks (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(redacting_factory)
    sys.excepthook = _print_redacted
    threading.excepthook = lambda a: None if a.exc_type is SystemExit else _print_redacted(
        a.exc_type, a.exc_value, a.exc_traceback, a.thread
    )


def _redact_record(record: logging.LogRecord) -> None:
    if not _secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record is logging's to report, not ours
        return
    if (clean := redact(message)) != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        if (clean := redact(text)) != text:
            record.exc_text = clean  # formatters print exc_text when it is set
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _print_redacted(
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
    thread: threading.Thread | None = None,
) -> None:
    head = f"Exception in thread {thread.name}:\n" if thread is not None else ""
    sys.stderr.write(head + redact("".join(traceback.format_exception(exc_type, exc, tb))))
