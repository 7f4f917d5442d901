"""Answer questions over news articles with verbatim, checked citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from assistant.core import Assistant

__all__ = ["Answer", "Assistant", "Citation", "Passage", "Settings", "load_settings"]


def __getattr__(name: str) -> Any:
    """`Assistant` is imported on first use: assistant.core imports ingest/, whose modules import assistant.types,
    so importing the core here would make `import ingest.load` (before `assistant`) circular."""
    if name == "Assistant":
        from assistant.core import Assistant

        return Assistant
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
