"""What the chat page and the HTTP API share: one `Assistant` per answerer, chosen by name per request."""

from __future__ import annotations

import logging
import threading

from assistant.core import Assistant
from assistant.llm import choose_mode, local_available

log = logging.getLogger(__name__)


def answerer_modes(assistant: Assistant) -> list[str]:
    """Answerers this server can offer, default first: extractive always; openai when a key or base URL is set;
    local when llama-cpp-python and a model are installed (assistant/llm.py decides, as for `llm.mode`)."""
    settings = assistant.settings
    modes = ["extractive"]
    if settings.llm.api_key or settings.llm.base_url:
        modes.append("openai")
    if local_available(settings):
        modes.append("local")
    default = choose_mode(settings)
    default = default if default in modes else "extractive"
    return [default] + [m for m in modes if m != default]


class Answerers:
    """The default assistant, plus one per other answerer mode, made on first use and then kept."""

    def __init__(self, assistant: Assistant) -> None:
        self.default = assistant
        self.modes = answerer_modes(assistant)
        self._made: dict[str, Assistant] = {self.modes[0]: assistant}
        self._lock = threading.Lock()

    def get(self, mode: str | None) -> Assistant:
        """The assistant answering with `mode` (None: the default); an unknown mode is a ValueError."""
        if mode is None:
            return self.default
        if mode not in self.modes:
            raise ValueError(f"unknown answerer {mode!r}; this server offers: {', '.join(self.modes)}")
        with self._lock:
            if mode not in self._made:
                settings = self.default.settings.model_copy(deep=True)
                settings.llm.mode = mode  # type: ignore[assignment]
                log.info("starting the %s answerer", mode)
                self._made[mode] = Assistant(settings)
            return self._made[mode]
