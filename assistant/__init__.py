"""Answer questions over news articles with verbatim, checked citations.

    from assistant import Assistant
    answer = Assistant().ask("Who leads the interim government?")
"""

from __future__ import annotations

from assistant.core import Assistant
from newsdesk.errors import AnswererError, AssistantError, EmbeddingError
from newsdesk.settings import ConfigError, Settings, load_settings
from newsdesk.types import Answer, Citation, Passage

__all__ = [
    "Answer",
    "AnswererError",
    "Assistant",
    "AssistantError",
    "Citation",
    "ConfigError",
    "EmbeddingError",
    "Passage",
    "Settings",
    "load_settings",
]
