"""Every error the assistant raises on purpose derives from `AssistantError`; its message is one line for the user."""

from __future__ import annotations


class AssistantError(Exception):
    """A failure the user can act on (bad settings, unreadable store, unreachable model); the message says which."""


class AnswererError(AssistantError):
    """The model could not answer (unreachable, key rejected, timed out, not installed)."""


class EmbeddingError(AssistantError):
    """Texts could not be embedded (the embedding server failed, or the embedder could not load)."""
