from ingest.chunk import chunk_article, chunk_spans
from ingest.sentences import sentence_spans
from ingest.tokens import count_tokens
from newsdesk.types import Article


def _article(text: str) -> Article:
    return Article(article_id="a1", title="T", text=text)


def test_sentences_keep_abbreviations_and_initials() -> None:
    text = ("Dr. Smith met U.S. officials on Jan. 5. They agreed. J. R. Tolkien wrote books. Super Mario Bros. Wonder "
            "comes out Friday.\n\nNew paragraph")
    assert [text[start:end] for start, end in sentence_spans(text)] == [
        "Dr. Smith met U.S. officials on Jan. 5.",
        "They agreed.",
        "J. R. Tolkien wrote books.",
        "Super Mario Bros. Wonder comes out Friday.",
        "New paragraph",
    ]


def test_chunks_are_verbatim_slices_within_budget() -> None:
    text = " ".join(f"Sentence number {i} talks about the harbour wall and the storm season." for i in range(200))
    chunks = chunk_article(_article(text), max_tokens=64, overlap=16)
    assert len(chunks) > 10
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert count_tokens(c.text) <= 64
        assert c.text.endswith(".")  # chunks end on sentence boundaries
    assert chunks[1].start < chunks[0].end  # overlap carries the last sentence over
    assert [c.chunk_id for c in chunk_article(_article(text), 64, 16)] == [c.chunk_id for c in chunks]


def test_overlong_sentence_is_cut_on_token_boundaries() -> None:
    text = "word " * 700
    spans = chunk_spans(text.strip(), max_tokens=100, overlap=0)
    assert len(spans) >= 7
    assert all(count_tokens(text[s:e]) <= 100 for s, e in spans)


def test_no_overlap_means_disjoint_chunks() -> None:
    text = " ".join(f"Fact {i} is stated here plainly." for i in range(100))
    spans = chunk_spans(text, max_tokens=50, overlap=0)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
