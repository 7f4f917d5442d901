"""The keyword index stays in step with the Chroma collection by updates, never rebuilds: ingest, update, prune,
embedded and server mode, other processes, an update cut short; and it scores as a fresh build of the same chunks."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, keyword_sync
from assistant.keyword import KeywordIndex, KeywordView, KeywordWriter, indexed_text, top
from assistant.keyword_sync import KeywordIndexes, index_path
from ingest.store import Store
from newsdesk.dates import day_ts
from newsdesk.types import Passage
from tests.data.harbour import FILLER, FOCUSED, SPREAD
from tests.fixtures.core import EXAMPLES, make_settings

QUERIES = ["interim government", "harbour crane", "budget council vote", "bridge repairs", "zeppelin airship"]


def write_article(path: Path, body: str, title: str = "Skyport mooring mast") -> Path:
    record = {"title": title, "source": "Skyport Courier", "published_at": "2024-05-02", "body": body}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def view(index: KeywordIndex | KeywordView) -> KeywordView:
    return index.view() if isinstance(index, KeywordIndex) else index


def search(index: KeywordIndex | KeywordView, query: str, allowed: np.ndarray | None = None) -> list[int]:
    """The numbers of the 5 best chunks for `query` by BM25 (only those `allowed`), as retrieval ranks them."""
    scores = view(index).scores(query)
    return [] if scores is None else [h.doc for h in top(scores, 5, allowed)]


def found(index: KeywordIndex | KeywordView, query: str) -> list[str]:
    return [p.title for p in index.passages(search(index, query))]


def by_chunk(index: KeywordIndex | KeywordView, query: str, sentences: bool = False) -> dict[str, float]:
    """Every chunk's positive score for `query`, by chunk id."""
    scores = view(index).sentence_scores(query) if sentences else view(index).scores(query)
    if scores is None:
        return {}
    docs = [int(d) for d in np.flatnonzero(scores > 0)]
    return {p.chunk_id: float(scores[d]) for d, p in zip(docs, index.passages(docs))}


def assert_scores_as_fresh(index: KeywordIndex | KeywordView, passages: list[Passage]) -> None:
    """`index` scores every query as an index built at once from `passages` does."""
    fresh = KeywordIndex.build(passages)
    assert index.chunk_ids() == {p.chunk_id for p in passages}
    for query in QUERIES:
        for sentences in (False, True):
            got, want = by_chunk(index, query, sentences), by_chunk(fresh, query, sentences)
            assert got.keys() == want.keys()
            assert np.allclose([got[c] for c in want], list(want.values()), rtol=1e-5)
    assert view(index).sources() == view(fresh).sources() and view(index).date_span() == view(fresh).date_span()


def ids_in_store(store: Store) -> set[str]:
    return {p.chunk_id for p in store.iter_passages()}


def full_builds(index: KeywordIndex | KeywordView) -> int:
    return int(index.meta("full_builds") or 0)


def test_index_follows_ingest_update_and_prune_without_rebuilding(
    store_copy: Path, tmp_path: Path, cache_dir: Path
) -> None:
    assistant = Assistant(make_settings(store_copy, cache_dir))
    cache = KeywordIndexes()
    store = assistant.store()
    index = cache.get(store)
    builds = full_builds(index)
    assert found(index, "zeppelin") == []

    article = write_article(tmp_path / "skyport.jsonl", "The zeppelin Aurelia docked at the new mooring mast on Friday.")
    assistant.ingest([article])
    index = cache.get(store)
    assert found(index, "zeppelin") == ["Skyport mooring mast"]
    assert index.chunk_ids() == ids_in_store(store)

    write_article(article, "The airship Aurelia docked at the new mooring mast on Friday.")
    assistant.ingest([article])
    index = cache.get(store)
    assert found(index, "zeppelin") == []
    assert found(index, "airship") == ["Skyport mooring mast"]
    assert index.chunk_ids() == ids_in_store(store)

    article.unlink()
    assistant.ingest([EXAMPLES], prune=True)
    index = cache.get(store)
    assert found(index, "airship") == []
    assert index.chunk_ids() == ids_in_store(store)
    assert full_builds(index) == builds  # every change was an update of the file ingest built
    assert_scores_as_fresh(index, list(store.iter_passages()))


def test_another_process_opens_the_saved_index_and_takes_in_only_what_changed(
    store_copy: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assistant = Assistant(make_settings(store_copy, cache_dir))
    store = assistant.store()
    (store_copy / "keyword-index" / "bm25s-v2-old").mkdir(parents=True)  # where an earlier format kept its index
    (store_copy / index_path(store).name).unlink()
    first = KeywordIndexes().get(store)  # built afresh: the old format's folder goes
    assert not (store_copy / "keyword-index").exists()
    assert full_builds(first) == 1

    with monkeypatch.context() as patched:
        patched.setattr(Store, "iter_passages", lambda *a, **k: pytest.fail("read the collection"))
        again = KeywordIndexes().get(store)  # a cold process: opens the file
    assert found(again, "interim government") == found(first, "interim government") != []

    writer = Assistant(make_settings(store_copy, cache_dir))
    writer.ingest([write_article(tmp_path / "skyport.jsonl", "A zeppelin docked.")])
    read: list[object] = []
    original = Store.iter_passages

    def counted(self: Store, where: dict[str, object] | None = None) -> object:
        read.append(where)
        return original(self, where)

    with monkeypatch.context() as patched:
        patched.setattr(Store, "iter_passages", counted)
        newer = KeywordIndexes().get(store)
    assert read == []  # the ingesting process updated the file; this one reads it
    assert found(newer, "zeppelin") == ["Skyport mooring mast"]
    assert full_builds(newer) == 1


def test_a_question_waits_at_most_index_wait_for_another_processs_ingest(
    store_copy: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(store_copy, cache_dir)
    settings.store.index_wait = 0.05
    reader = KeywordIndexes()
    store = Assistant(settings).store()
    assert found(reader.get(store), "zeppelin") == []
    # Another process ingests; its own index update is left out, so this one must take the article in itself.
    monkeypatch.setattr(KeywordIndexes, "update", lambda self, store: None)
    Assistant(settings).ingest([write_article(tmp_path / "skyport.jsonl", "A zeppelin docked.")])
    monkeypatch.undo()
    release = threading.Event()
    sync = keyword_sync.sync

    def held_sync(store: Store, index: KeywordIndex) -> keyword_sync.SyncReport:
        assert release.wait(60)
        return sync(store, index)

    monkeypatch.setattr(keyword_sync, "sync", held_sync)
    store = Assistant(settings).store()
    stale = reader.get(store)  # returns although the update cannot finish until released
    assert found(stale, "zeppelin") == []
    release.set()
    reader._running[index_path(store)].wait(60)
    assert found(reader.get(store), "zeppelin") == ["Skyport mooring mast"]


def test_an_update_cut_short_leaves_a_consistent_index_that_the_next_one_completes(
    store_copy: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(store_copy, cache_dir)
    folder = tmp_path / "drop"
    folder.mkdir()
    for n in range(5):
        write_article(folder / f"{n}.jsonl", f"The zeppelin number {n} docked at mast {n}.", title=f"Zeppelin {n}")
    monkeypatch.setattr(KeywordIndexes, "update", lambda self, store: None)
    assistant = Assistant(settings)
    assistant.ingest([folder])
    monkeypatch.undo()
    store = assistant.store()
    monkeypatch.setattr(keyword_sync, "_BATCH", 2)
    add = KeywordWriter.add
    calls: list[int] = []

    def failing_add(self: KeywordWriter, passages: list[Passage], versions: dict[str, str] | None = None) -> None:
        calls.append(len(passages))
        if len(calls) == 2:
            raise OSError("disk full")
        add(self, passages, versions)

    cache = KeywordIndexes()
    with monkeypatch.context() as patched:
        patched.setattr(KeywordWriter, "add", failing_add)
        with pytest.raises(OSError, match="disk full"):
            cache.update(store)
    index = KeywordIndex(index_path(store))  # the first batch is in; the generation is not the store's
    assert index.generation != store.generation()
    assert len(found(index, "zeppelin")) == 2
    cache.update(store)
    assert index.generation == store.generation()
    assert_scores_as_fresh(index, list(store.iter_passages()))


def test_two_processes_updating_one_file_index_each_article_once(
    store_copy: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(store_copy, cache_dir)
    monkeypatch.setattr(KeywordIndexes, "update", lambda self, store: None)
    Assistant(settings).ingest([write_article(tmp_path / "skyport.jsonl", "A zeppelin docked.")])
    monkeypatch.undo()
    caches = [KeywordIndexes(), KeywordIndexes()]  # two processes: each its own connection and lock file handle
    stores = [Assistant(settings).store() for _ in caches]
    threads = [threading.Thread(target=c.update, args=(s,)) for c, s in zip(caches, stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    index = caches[0].get(stores[0])
    assert found(index, "zeppelin") == ["Skyport mooring mast"]
    assert_scores_as_fresh(index, list(stores[0].iter_passages()))


def test_server_mode_keeps_the_index_in_this_machines_cache_and_updates_it(
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
    path = tmp_path / "index-cache" / f"127_0_0_1-{settings.store.port}-keyword_server.sqlite3"
    assert index_path(store) == path and path.is_file()

    with monkeypatch.context() as patched:
        patched.setattr(Store, "iter_passages", lambda *a, **k: pytest.fail("read the collection"))
        assert found(KeywordIndexes().get(store), "zeppelin") == ["Skyport mooring mast"]  # another process

    write_article(article, "The airship Aurelia docked at the mooring mast.")
    assistant.ingest([EXAMPLES, article])
    index = cache.get(store)
    assert (found(index, "zeppelin"), found(index, "airship")) == ([], ["Skyport mooring mast"])
    assert index.chunk_ids() == ids_in_store(store)
    assert full_builds(index) == 1

    store.client.delete_collection("keyword_server")  # made again under the same name: indexed afresh
    store.client.delete_collection("keyword_server__manifest")
    again = Assistant(settings)
    again.ingest([write_article(tmp_path / "other.jsonl", "A balloon rose.", title="Balloon")])
    index = cache.get(again.store())
    assert index.chunk_ids() == ids_in_store(again.store())
    assert found(index, "balloon") == ["Balloon"] and found(index, "airship") == []
    assert not (tmp_path / "unused").exists()


def test_an_index_merged_many_times_scores_as_a_fresh_build() -> None:
    texts = [SPREAD, FOCUSED, *FILLER] * 14
    passages = [passage(n, ["North Post", "South Star"][n % 2], f"2024-03-{n % 28 + 1:02d}", t) for n, t in enumerate(texts)]
    index = KeywordIndex.build([])
    for n, p in enumerate(passages):  # one segment per chunk: every word's rows are merged several times
        with index.writing() as writer:
            writer.add([p], {p.article_id: "v1"})
        if n == 9:
            early = index.view()
    # A view taken before later updates searches the chunks it knew, and its arrays still agree with each other.
    harbour = early.scores("harbour")
    assert harbour is not None and harbour.shape == early.mask(["North Post"]).shape == (10,)
    with index.writing() as writer:
        writer.remove_articles([p.article_id for p in passages[::3]])
    for p in passages[:6]:
        with index.writing() as writer:
            writer.add([p.model_copy(update={"chunk_id": p.chunk_id + "b"})], {p.article_id + "b": "v1"})
    kept = [p for p in passages if p not in passages[::3]]
    kept += [p.model_copy(update={"chunk_id": p.chunk_id + "b"}) for p in passages[:6]]
    assert_scores_as_fresh(index, kept)
    rows = index._conn.execute("SELECT MAX(n) FROM (SELECT COUNT(*) n FROM postings GROUP BY level, term)").fetchone()
    assert rows[0] <= 25


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
    assert index.passages([1, 0])[0].chunk_id == "c2"
    before = index.view()
    assert search(before, "bridge", before.mask(["North Post"])) == [0]
    march_2 = day_ts("2024-03-02")
    assert search(before, "bridge", before.mask([], march_2, march_2)) == [1]
    assert search(before, "bridge", before.mask(["Nobody"])) == []
    assert search(index, "the of and") == []  # only stop words
    assert before.sources() == ["North Post", "South Star"]
    assert before.date_span() == (date(2024, 3, 1), date(2024, 3, 9))
    assert search(KeywordIndex.build([], "g0"), "bridge") == []
    with index.writing() as writer:
        writer.remove_articles(["a1"])
    after = index.view()
    assert after.sources() == ["South Star"]
    assert search(after, "bridge", after.mask(["North Post"])) == []
    assert after.date_span() == (date(2024, 3, 2), date(2024, 3, 9))
    assert before.sources() == ["North Post", "South Star"]  # a view stays as it was: one question sees one state
    assert len(before) == 3 and len(after) == 2


def test_sentence_scores_rank_a_chunk_by_its_best_sentence() -> None:
    index = KeywordIndex.build(
        [passage(n, "North Post", "2024-03-01", text) for n, text in enumerate([SPREAD, FOCUSED, *FILLER])], "g1"
    ).view()
    chunk_level = index.scores("harbour crane collapsed")
    sentence_level = index.sentence_scores("harbour crane collapsed")
    assert chunk_level is not None and sentence_level is not None
    assert chunk_level[0] > chunk_level[1]  # every word, twice over, in different sentences
    assert sentence_level[1] > sentence_level[0]  # all three words in one sentence
    assert index.sentence_scores("zeppelin") is None
    assert KeywordIndex.build([], "g0").view().sentence_scores("harbour") is None


def test_scores_are_bm25_as_written_out_by_hand() -> None:
    # Three one-sentence chunks; their indexed words (title, source, date, text; stop words out, stemmed) counted by
    # hand, and BM25 (k1 1.5, b 0.75, Lucene idf) computed from those counts alone.
    texts = ["Crane crane crane.", "Crane lifts boats.", "Tides turn slowly today."]
    index = KeywordIndex.build([passage(n, "Post", "2024-03-01", t) for n, t in enumerate(texts)], "g1").view()
    words = [[f"t{n}", "post", "2024", "03", "01", *index.index.words(t)] for n, t in enumerate(texts)]
    assert [len(w) for w in words] == [8, 8, 9] and [len(w) - 5 for w in words] == [3, 3, 4]

    def bm25(tf: int, length: int, average: float, n: int, df: int) -> float:
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        return float(idf * tf / (tf + 1.5 * (1 - 0.75 + 0.75 * length / average)))

    chunk_level = index.scores("crane")
    assert chunk_level is not None
    assert chunk_level.tolist() == pytest.approx([bm25(3, 8, 25 / 3, 3, 2), bm25(1, 8, 25 / 3, 3, 2), 0.0], rel=1e-5)
    # The sentence level: the text's sentences alone (one per chunk here: 3, 3 and 4 indexed words).
    sentence_level = index.sentence_scores("crane")
    assert sentence_level is not None
    assert sentence_level.tolist() == pytest.approx([bm25(3, 3, 10 / 3, 3, 2), bm25(1, 3, 10 / 3, 3, 2), 0.0], rel=1e-5)


def test_indexed_text_is_what_ingest_embeds() -> None:
    p = passage(1, "North Post", "2024-03-01T09:00:00+00:00", "Bridge closed.")
    assert indexed_text(p) == "T1\nNorth Post | 2024-03-01\nBridge closed."


def test_a_store_deleted_and_made_again_gets_a_new_index(tmp_path: Path, cache_dir: Path) -> None:
    settings = make_settings(tmp_path / "store", cache_dir)
    Assistant(settings).ingest([write_article(tmp_path / "a.jsonl", "A zeppelin docked.")])
    cache = KeywordIndexes()
    assert found(cache.get(Assistant(settings).store()), "zeppelin") == ["Skyport mooring mast"]
    shutil.rmtree(tmp_path / "store")
    Assistant(settings).ingest([write_article(tmp_path / "b.jsonl", "A balloon rose.", title="Balloon")])
    store = Assistant(settings).store()
    view = cache.get(store)
    assert (found(view, "balloon"), found(view, "zeppelin")) == (["Balloon"], [])
    assert view.chunk_ids() == ids_in_store(store)


def test_sentence_scores_among_some_chunks_equal_those_chunks_scores() -> None:
    texts = [SPREAD, FOCUSED, *FILLER] * 3
    index = KeywordIndex.build([passage(n, "North Post", "2024-03-01", t) for n, t in enumerate(texts)], "g1").view()
    everywhere = index.sentence_scores("harbour crane collapsed")
    assert everywhere is not None
    among = np.array([0, 1, 5, len(texts) - 1])
    some = index.sentence_scores("harbour crane collapsed", among)
    assert some is not None
    expected = np.zeros_like(everywhere)
    expected[among] = everywhere[among]
    assert some.tolist() == expected.tolist() and some[[0, 1]].all()
    assert index.sentence_scores("harbour", np.array([], dtype=np.int64)) is None


def test_a_question_scored_with_its_clauses_equals_each_query_scored_alone() -> None:
    texts = [SPREAD, FOCUSED, *FILLER] * 2
    index = KeywordIndex.build([passage(n, "North Post", "2024-03-01", t) for n, t in enumerate(texts)], "g1").view()
    question = "Did the harbour crane collapse, and did the crane crane fall, while the zeppelin waited in North Post?"
    clauses = ["Did the harbour crane collapse", "did the crane crane fall", "while the zeppelin waited"]
    together = index.scores_of([question, *clauses])  # the question's words hold the clauses': summed from them
    alone = [index.scores(q) for q in [question, *clauses]]
    assert [a is None for a in together] == [a is None for a in alone] == [False, False, False, True]
    for batched, single in zip(together, alone):
        if single is not None:
            assert batched is not None and batched.tolist() == pytest.approx(single.tolist(), rel=1e-6)
    # Queries that are not a question and its clauses are scored one by one.
    unrelated = ["harbour crane", "bridge council vote", "crane"]
    assert [None if a is None else a.tolist() for a in index.scores_of(unrelated)] == [
        None if a is None else a.tolist() for a in (index.scores(q) for q in unrelated)
    ]


def test_sentence_scores_among_for_several_queries_equal_each_querys_alone() -> None:
    texts = [SPREAD, FOCUSED, *FILLER] * 3
    index = KeywordIndex.build([passage(n, "North Post", "2024-03-01", t) for n, t in enumerate(texts)], "g1").view()
    among = np.array([0, 1, 5, len(texts) - 1])
    queries = ["harbour crane collapsed", "crane crane", "zeppelin", "harbour"]
    for query, pooled in zip(queries, index.sentence_scores_among(queries, among)):
        everywhere = index.sentence_scores(query)
        if everywhere is None:
            assert pooled is None
        else:
            assert pooled is not None and pooled.tolist() == everywhere[among].tolist()


def test_a_restriction_mask_is_made_once_per_view_and_cannot_be_changed() -> None:
    index = KeywordIndex.build(
        [passage(n, s, "2024-03-01", "Bridge repairs.") for n, s in enumerate(["North Post", "South Star"])], "g1"
    ).view()
    mask = index.mask(["North Post"])
    assert mask is not None and mask.tolist() == [True, False]
    assert index.mask(["North Post"]) is mask and not mask.flags.writeable
    scores = np.array([0.5, 2.0, 0.0, 1.0], dtype=np.float32)
    assert [h.doc for h in top(scores, 2)] == [1, 3] and [h.doc for h in top(scores, 9)] == [1, 3, 0]
    assert [h.doc for h in top(scores, 3, np.array([True, False, True, True]))] == [3, 0]  # positive and allowed
