"""Stores of one process: each embedded store directory has one Chroma client, renewed when another process changed
the store, without disturbing the Stores of other directories."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ingest.store import Store
from newsdesk.settings import StoreSettings
from newsdesk.types import Article, Chunk
from tests.fixtures.core import ROOT

MODEL = "test-model"


def write(store: Store, name: str, vector: list[float]) -> None:
    """One article of one chunk, written as an ingest writes it."""
    article = Article(name, f"Title {name}", f"Text {name}.", "Test Wire", "2024-05-02")
    with store.writing():
        store.add_chunks([(article, [Chunk(f"{name}-0", name, 0, article.text, 0, len(article.text))], [vector])])
        store.commit_articles([(article, 1)], "test")


def open_store(path: Path) -> Store:
    return Store(StoreSettings(path=path), MODEL, create=True)


def nearest(store: Store, vector: list[float]) -> list[str]:
    return sorted(p.chunk_id for p in store.search(vector, 10))


def write_in_another_process(path: Path, name: str, vector: list[float]) -> None:
    code = (
        "import sys; from pathlib import Path; from tests.ingest.test_store import open_store, write; "
        f"write(open_store(Path(sys.argv[1])), {name!r}, {vector!r})"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True, capture_output=True, timeout=300)


def test_reopening_a_store_another_process_changed_leaves_other_stores_working(tmp_path: Path) -> None:
    one, two = open_store(tmp_path / "one"), open_store(tmp_path / "two")
    write(one, "a1", [1.0, 0.0, 0.0])
    write(two, "b1", [0.0, 1.0, 0.0])
    assert nearest(one, [1.0, 0.0, 0.0]) == ["a1-0"] and nearest(two, [0.0, 1.0, 0.0]) == ["b1-0"]  # vectors loaded

    write_in_another_process(tmp_path / "one", "a2", [1.0, 0.1, 0.0])
    assert one.stale() and nearest(one, [1.0, 0.0, 0.0]) == ["a1-0"]  # this process's copy predates a2
    reopened = open_store(tmp_path / "one")  # the reason to renew: the other process's vectors become visible
    assert nearest(reopened, [1.0, 0.0, 0.0]) == ["a1-0", "a2-0"]
    assert one.count() == 2 and nearest(one, [1.0, 0.0, 0.0]) == ["a1-0", "a2-0"]  # the old Store follows

    # The other directory's Stores, opened before and after, keep working and share one copy of its vectors.
    reader = open_store(tmp_path / "two")
    assert nearest(reader, [0.0, 1.0, 0.0]) == ["b1-0"]
    write(two, "b2", [0.0, 1.0, 0.1])
    assert nearest(two, [0.0, 1.0, 0.0]) == ["b1-0", "b2-0"]
    assert nearest(reader, [0.0, 1.0, 0.0]) == ["b1-0", "b2-0"]
    assert reader.count() == two.count() == 2
    assert not open_store(tmp_path / "two").stale()


def test_a_store_deleted_and_made_again_is_opened_afresh(tmp_path: Path) -> None:
    first = open_store(tmp_path / "store")
    write(first, "a1", [1.0, 0.0, 0.0])
    for leftover in sorted((tmp_path / "store").rglob("*"), reverse=True):
        leftover.unlink() if leftover.is_file() else leftover.rmdir()
    again = open_store(tmp_path / "store")
    assert again.count() == 0 and (tmp_path / "store" / "chroma.sqlite3").is_file()
    write(again, "b1", [0.0, 1.0, 0.0])
    assert nearest(again, [0.0, 1.0, 0.0]) == ["b1-0"]


def test_stores_opened_at_once_in_two_threads_do_not_disturb_each_other(tmp_path: Path) -> None:
    write(open_store(tmp_path / "one"), "a1", [1.0, 0.0, 0.0])
    write(open_store(tmp_path / "two"), "b1", [0.0, 1.0, 0.0])

    def use(path: Path, vector: list[float]) -> list[list[str]]:
        return [nearest(open_store(path), vector) for _ in range(40)]

    with ThreadPoolExecutor(2) as pool:
        ones = pool.submit(use, tmp_path / "one", [1.0, 0.0, 0.0])
        twos = pool.submit(use, tmp_path / "two", [0.0, 1.0, 0.0])
        assert ones.result(timeout=300) == [["a1-0"]] * 40
        assert twos.result(timeout=300) == [["b1-0"]] * 40


def test_searches_in_flight_while_the_client_is_renewed_all_succeed(tmp_path: Path) -> None:
    store = open_store(tmp_path / "one")
    write(store, "a1", [1.0, 0.0, 0.0])
    stop, seen = threading.Event(), []

    def search_until_stopped() -> None:
        while not stop.is_set():
            seen.append(nearest(store, [1.0, 0.0, 0.0]))

    with ThreadPoolExecutor(2) as pool:
        searching = [pool.submit(search_until_stopped) for _ in range(2)]
        write_in_another_process(tmp_path / "one", "a2", [1.0, 0.1, 0.0])
        assert nearest(open_store(tmp_path / "one"), [1.0, 0.0, 0.0]) == ["a1-0", "a2-0"]  # renewed meanwhile
        stop.set()
        for future in searching:
            future.result(timeout=300)  # no search failed
    assert seen[0] == ["a1-0"] and seen[-1] == ["a1-0", "a2-0"]


def test_an_open_store_catches_up_in_the_background_and_answers_meanwhile(tmp_path: Path) -> None:
    """A reader that finds another process's ingest keeps answering from its loaded vectors (leaving out the chunks
    it does not hold yet) while a fresh client loads them beside it; then it has them, with no reopening."""
    store = open_store(tmp_path / "one")
    write(store, "a1", [1.0, 0.0, 0.0])
    assert sorted(store.vectors(["a1-0"])) == ["a1-0"]
    write_in_another_process(tmp_path / "one", "a2", [1.0, 0.1, 0.0])

    assert store.stale()
    assert sorted(store.vectors(["a1-0", "a2-0", "a9-0"])) == ["a1-0"]  # a2 is written, but not in this copy
    assert store.catch_up()
    deadline = time.monotonic() + 120
    while store.stale() and time.monotonic() < deadline:  # meanwhile every read succeeds, from one copy or the other
        assert "a1-0" in store.vectors(["a1-0", "a2-0"]) and "a1-0" in nearest(store, [1.0, 0.0, 0.0])
    assert not store.stale()
    assert sorted(store.vectors(["a1-0", "a2-0", "a9-0"])) == ["a1-0", "a2-0"]
    assert nearest(store, [1.0, 0.0, 0.0]) == ["a1-0", "a2-0"]

    # Again: the fresh client is opened under the other spelling of the path each time.
    write_in_another_process(tmp_path / "one", "a3", [1.0, 0.2, 0.0])
    assert store.stale() and store.catch_up()
    while store.stale() and time.monotonic() < deadline:
        store.vectors(["a1-0"])
    assert nearest(store, [1.0, 0.0, 0.0]) == ["a1-0", "a2-0", "a3-0"]

