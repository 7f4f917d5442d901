"""Answer questions over news articles with verbatim, checked citations."""

from assistant.core import Assistant
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Passage

__all__ = ["Answer", "Assistant", "Citation", "Passage", "Settings", "load_settings"]
