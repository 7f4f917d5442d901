"""`AnswerStream`: an answer as it is written. Iterate it for the text; `answer()` gives the checked Answer."""

from __future__ import annotations

from collections.abc import Iterator

from newsdesk.types import Answer


class AnswerStream:
    """The text deltas of one answer, then its final `Answer` (citations checked, markers renumbered).

        stream = assistant.stream("Who leads the interim government?")
        for text in stream:
            print(text, end="")
        answer = stream.answer()

    The final text can differ from the streamed one when the citation check drops or renumbers a marker; show
    `answer().answer` when the two differ.
    """

    def __init__(self, items: Iterator[str | Answer]) -> None:
        self._items = items
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        """The text as it is written (each item a delta)."""
        for item in self._items:
            if isinstance(item, Answer):
                self._answer = item
            else:
                yield item

    def answer(self) -> Answer:
        """The final Answer; reads whatever of the stream is still unread."""
        for _ in self:
            pass
        if self._answer is None:
            raise RuntimeError("the answerer ended without an answer")
        return self._answer
