import json
from pathlib import Path

import pytest

from ingest.load import LoadedFile, LoadError, find_files, parse_file, read_bytes

MB = 1_000_000


def load(path: Path, max_bytes: int) -> LoadedFile:
    """A file read and parsed as ingest does."""
    return parse_file(path, read_bytes(path, max_bytes))


def test_html_keeps_main_text_only(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Page title</title>"
        '<meta property="og:site_name" content="The Daily">'
        '<meta property="article:published_time" content="2024-01-02T10:00:00Z">'
        "<script>var tracking = 1;</script><style>p { color: red }</style></head>"
        "<body><nav><p>Home | World</p></nav><article><h1>Page title</h1><p>First paragraph.</p>"
        "<p>Second <b>bold</b> paragraph.</p></article><footer>Copyright</footer></body></html>"
    )
    article = load(page, MB).articles[0]
    assert article.title == "Page title"
    assert article.source == "The Daily"
    assert article.published_at == "2024-01-02T10:00:00+00:00"
    assert article.text == "First paragraph.\n\nSecond bold paragraph."


def test_jsonl_records_keep_other_fields_and_report_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "wire.jsonl"
    good = {"title": "A", "content": "Body text.", "source": "Wire", "published_at": "2023-10-01", "url": "u", "tags": ["x"], "desk": "metro"}
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"title": "no body"}) + "\n")
    loaded = load(path, MB)
    assert [a.title for a in loaded.articles] == ["A"]
    assert loaded.articles[0].extra == {"tags": '["x"]', "desk": "metro"}
    assert loaded.problems == [
        ("line 2", "invalid JSON (Expecting property name enclosed in double quotes at column 2)"),
        ("line 3", "record has no body/text/content"),
    ]


@pytest.mark.parametrize(
    ("suffix", "content", "reason"),
    [
        (".jsonl", '{"title": "A", "body": "Body."}\n\n{"title": "B", "body": "cut\n', "line 3: invalid JSON (Unterminated string starting at column 24)"),
        (".jsonl", '{"title": "A", "body": "Body."}\n{"title": "B",}\n', "line 2: invalid JSON (Expecting property name enclosed in double quotes at column 15)"),
        (".json", '[{"title": "A",\n "body": "cut', "invalid JSON (Unterminated string starting at line 2 column 10)"),
        (".json", '[{"title": "A"}\n{"title": "B"}]', "invalid JSON (Expecting ',' delimiter at line 2 column 1)"),
    ],
)
def test_a_broken_json_reason_is_complete(tmp_path: Path, suffix: str, content: str, reason: str) -> None:
    path = tmp_path / f"wire{suffix}"
    path.write_text(content)
    if suffix == ".jsonl":
        where, problem = reason.split(": ", 1)
        assert (where, problem) in load(path, MB).problems
    else:
        with pytest.raises(LoadError, match=f"^{__import__('re').escape(reason)}$"):
            load(path, MB)


@pytest.mark.parametrize(
    ("content", "encoding", "text"),
    [
        ("Caf\u00e9 owners\n\nThe caf\u00e9\u2019s owner said \u201cno\u201d.".encode("cp1252"), "Windows-1252", "The caf\u00e9\u2019s owner said \u201cno\u201d."),
        ("Caf\u00e9 owners\n\nLe caf\u00e9 au lait \u00e0 deux \u00a3.".encode("latin-1"), "Windows-1252", "Le caf\u00e9 au lait \u00e0 deux \u00a3."),
        (b"Caf\xe9 owners\n\nA control byte \x81 cp1252 leaves undefined.", "Latin-1", "A control byte cp1252 leaves undefined."),
        ("Caf\u00e9 owners\n\nLe caf\u00e9.".encode("utf-8"), "UTF-8", "Le caf\u00e9."),
    ],
)
def test_legacy_encodings_are_read_and_named(tmp_path: Path, content: bytes, encoding: str, text: str) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(content)
    loaded = load(path, MB)
    assert (loaded.encoding, loaded.articles[0].title, loaded.articles[0].text) == (encoding, "Caf\u00e9 owners", text)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (contains NUL bytes)"),
    ],
)
def test_unreadable_files_get_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=f"^{__import__('re').escape(reason)}$"):
        load(path, MB)


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "word " * 1000)
    with pytest.raises(LoadError, match=r"^file too large \(5\.0 kB > 1\.0 kB limit\)$"):
        load(path, 1000)


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("Headline here\n\nA body sentence.".encode("utf-16"))
    assert load(path, MB).articles[0].text == "A body sentence."


def test_find_files_recurses_and_reports(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.md").write_text("t")
    (tmp_path / "a" / "y.pdf").write_text("t")
    (tmp_path / "a" / ".hidden" ).mkdir()
    (tmp_path / "a" / ".hidden" / "z.txt").write_text("t")
    (tmp_path / "a" / "notes.csv").write_text("t")
    (tmp_path / "a" / "b" / "program").write_text("t")
    found, rejected, ignored = find_files([tmp_path / "a", tmp_path / "missing.txt", tmp_path / "a" / "y.pdf"])
    assert found == [(tmp_path / "a" / "b" / "x.md").resolve()]
    assert rejected == [(tmp_path / "missing.txt", "no such file or directory"), (tmp_path / "a" / "y.pdf", "unsupported file type '.pdf'")]
    assert ignored == [(tmp_path / "a" / "b" / "program").resolve(), (tmp_path / "a" / "notes.csv").resolve()]
