"""Keep configured secrets (API keys, Slack tokens, signing secrets, the server's API token) out of what the process
writes: log records, tracebacks of uncaught exceptions, and error messages shown to users.

`register_secrets(settings)` (every `Assistant` calls it) records the value of each `SecretStr` in the settings;
`redact(text)` then shows `***` in its place. The entry points (the CLI, `assistant serve`, the Slack bot) call
`install_redaction()`, which puts a `RedactingFilter` on the log handlers they configure and prints uncaught
exceptions redacted. A program using the Python API adds `RedactingFilter()` to its own log handlers. A secret
usually reaches such text through an upstream error that echoes the request (a proxy answering "invalid key
sk-..."), never through our own code.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from types import TracebackType

from pydantic import BaseModel, SecretStr

MASK = "***"
MIN_LENGTH = 8
"""Shorter values are not masked: they would blot out ordinary words, and are no secret anyway."""

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()  # longest first, so a secret containing another is masked whole


def register_secrets(settings: BaseModel) -> None:
    """Mask every secret value of `settings` in `redact` and `RedactingFilter` from now on."""
    global _secrets
    found = set(secret_values(settings))
    with _lock:
        if not found <= set(_secrets):
            _secrets = tuple(sorted(set(_secrets) | found, key=len, reverse=True))


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


class RedactingFilter(logging.Filter):
    """A log handler filter that masks registered secrets in each record's message, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def install_redaction(handlers: Iterable[logging.Handler] = ()) -> None:
    """Mask secrets in what this program writes: `handlers` (default: the root logger's) get a `RedactingFilter`,
    and uncaught exceptions, in any thread, are printed redacted. For entry points, after logging is configured."""
    for handler in list(handlers) or logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
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
