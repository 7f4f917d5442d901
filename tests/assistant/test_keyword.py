"""The keyword index stays in step with the Chroma collection: ingest, update, prune, embedded and server mode."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.keyword import KeywordIndex, indexed_text, top
from assistant.keyword_cache import KeywordIndexes
from assistant.keyword_files import INDEX_DIR
from ingest.store import Store
from newsdesk.dates import day_ts
from newsdesk.types import Passage
from tests.data.harbour import FILLER, FOCUSED, SPREAD
from tests.fixtures.core import EXAMPLES, make_settings


def write_article(path: Path, body: str) -> Path:
    record = {"title": "Skyport mooring mast", "source": "Skyport Courier", "published_at": "2024-05-02", "body": body}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def search(index: KeywordIndex, query: str, allowed: np.ndarray | None = None) -> list[int]:
    """The positions of the 5 best chunks for `query` by BM25 (only those `allowed`), as retrieval ranks them."""
    scores = index.scores(query)
    return [] if scores is None else [h.doc for h in top(scores, 5, allowed)]


def found(index: KeywordIndex, query: str) -> list[str]:
    return [index.passages[i].title for i in search(index, query)]


def ids_in_store(store: Store) -> set[str]:
    return {p.chunk_id for p in store.iter_passages()}


def test_index_follows_ingest_update_and_prune(store_copy: Path, tmp_path: Path, cache_dir: Path) -> None:
    assistant = Assistant(make_settings(store_copy, cache_dir))
    cache = KeywordIndexes()
    store = assistant.store()
    assert found(cache.get(store), "zeppelin") == []

    article = write_article(tmp_path / "skyport.jsonl", "The zeppelin Aurelia docked at the new mooring mast on Friday.")
    assistant.ingest([article])
    index = cache.get(store)
    assert found(index, "zeppelin") == ["Skyport mooring mast"]
    assert set(index.position) == ids_in_store(store)

    write_article(article, "The airship Aurelia docked at the new mooring mast on Friday.")
    assistant.ingest([article])
    index = cache.get(store)
    assert found(index, "zeppelin") == []
    assert found(index, "airship") == ["Skyport mooring mast"]
    assert set(index.position) == ids_in_store(store)

    article.unlink()
    assistant.ingest([EXAMPLES], prune=True)
    index = cache.get(store)
    assert found(index, "airship") == []
    assert set(index.position) == ids_in_store(store)


def test_index_is_saved_beside_the_store_and_reused(
    store_copy: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant(make_settings(store_copy, cache_dir))
    store = assistant.store()
    shutil.rmtree(store_copy / INDEX_DIR, ignore_errors=True)  # the copied store may hold the shared store's index
    # Where the previous release kept this generation's index, in its own format: read as missing, then replaced.
    older_format = store_copy / INDEX_DIR / "".join(c if c.isalnum() or c in "-_" else "_" for c in store.generation())
    older_format.mkdir(parents=True)
    (older_format / "format.json").write_text('{"format": "bm25s-v0"}')
    first = KeywordIndexes().get(store)
    saved = store_copy / INDEX_DIR
    assert len(list(saved.iterdir())) == 1  # the index another version saved is gone

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt instead of loading the saved index")

    with monkeypatch.context() as patched:
        patched.setattr(Store, "iter_passages", no_rebuild)
        again = KeywordIndexes().get(store)  # a cold process: loads from disk
    assert again.generation == first.generation
    assert [p.chunk_id for p in again.passages] == [p.chunk_id for p in first.passages]
    assert found(again, "interim government") == found(first, "interim government") != []
    assert (again.sentence_scores("interim government") == first.sentence_scores("interim government")).all()

    assistant.ingest([write_article(tmp_path / "skyport.jsonl", "A zeppelin docked.")])
    newer = KeywordIndexes().get(store)
    assert newer.generation != first.generation
    assert len(list(saved.iterdir())) == 1  # the old generation's files are gone
    assert found(newer, "zeppelin") == ["Skyport mooring mast"]


def test_server_mode_saves_the_index_in_this_machines_cache_and_refreshes(
    chroma_server: tuple[str, int], tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "unused", cache_dir)
    settings.store.host, settings.store.port = chroma_server
    settings.store.collection = "keyword_server"
    settings.store.index_cache = tmp_path / "index-cache"
    assistant = Assistant(settings)
    article = write_article(tmp_path / "skyport.jsonl", "The zeppelin Aurelia docked at the mooring mast.")
    assistant.ingest([EXAMPLES, article])
    cache = KeywordIndexes()
    store = assistant.store()
    assert found(cache.get(store), "zeppelin") == ["Skyport mooring mast"]
    home = tmp_path / "index-cache" / f"127_0_0_1-{settings.store.port}-keyword_server"
    assert [p.name for p in home.iterdir()] == [f"bm25s-v2-{store.generation()}"]

    with monkeypatch.context() as patched:
        patched.setattr(Store, "iter_passages", lambda *a, **k: pytest.fail("rebuilt instead of loading"))
        assert found(KeywordIndexes().get(store), "zeppelin") == ["Skyport mooring mast"]  # another process

    write_article(article, "The airship Aurelia docked at the mooring mast.")
    assistant.ingest([EXAMPLES, article])
    index = cache.get(store)
    assert (found(index, "zeppelin"), found(index, "airship")) == ([], ["Skyport mooring mast"])
    assert set(index.position) == ids_in_store(store)
    assert len(list(home.iterdir())) == 1  # the older generation's files are gone
    assert not (tmp_path / "unused").exists()


def passage(n: int, source: str, published_at: str, text: str) -> Passage:
    return Passage(chunk_id=f"c{n}", article_id=f"a{n}", title=f"T{n}", source=source, published_at=published_at,
                   text=text, start=0, end=len(text))


def test_search_restricted_to_publishers_and_days() -> None:
    index = KeywordIndex.build(
        [
            passage(1, "North Post", "2024-03-01T09:00:00+00:00", "Bridge closed for repairs."),
            passage(2, "South Star", "2024-03-02", "Bridge repairs finished early. Bridge reopened."),
            passage(3, "South Star", "2024-03-09", "Orchard frost."),
        ],
        "g1",
    )
    assert search(index, "bridge repairs") == [1, 0]
    assert search(index, "bridge", index.mask(["North Post"])) == [0]
    march_2 = day_ts("2024-03-02")
    assert search(index, "bridge", index.mask([], march_2, march_2)) == [1]
    assert search(index, "bridge", index.mask(["Nobody"])) == []
    assert search(index, "the of and") == []  # only stop words
    assert index.sources() == ["North Post", "South Star"]
    assert index.date_span() == (date(2024, 3, 1), date(2024, 3, 9))
    assert search(KeywordIndex.build([], "g0"), "bridge") == []


def test_sentence_scores_rank_a_chunk_by_its_best_sentence() -> None:
    index = KeywordIndex.build(
        [passage(n, "North Post", "2024-03-01", text) for n, text in enumerate([SPREAD, FOCUSED, *FILLER])], "g1"
    )
    chunk_level = index.scores("harbour crane collapsed")
    sentence_level = index.sentence_scores("harbour crane collapsed")
    assert chunk_level is not None and sentence_level is not None
    assert chunk_level[0] > chunk_level[1]  # every word, twice over, in different sentences
    assert sentence_level[1] > sentence_level[0]  # all three words in one sentence
    assert index.sentence_scores("zeppelin") is None
    assert KeywordIndex.build([], "g0").sentence_scores("harbour") is None


def test_indexed_text_is_what_ingest_embeds() -> None:
    p = passage(1, "North Post", "2024-03-01T09:00:00+00:00", "Bridge closed.")
    assert indexed_text(p) == "T1\nNorth Post | 2024-03-01\nBridge closed."
