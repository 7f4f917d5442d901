"""`Watcher` (ingest/watch.py) on real files, a real embedded store and the real embedder. Time is the files' own
modification times, set with os.utime: each test calls `poll()` itself, so nothing waits for a clock."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

import ingest.watch
from assistant import Assistant
from assistant.keyword import KeywordIndex
from assistant.keyword_sync import index_path
from ingest.pipeline import IngestReport
from ingest.store import Store, StoreError
from ingest.watch import Batch, Watcher
from tests.fixtures.core import make_settings
from tests.ingest.test_crash import _snapshot, _write_corpus, kill_after_commits


def _story(topic: str, extra: str = "") -> str:
    return (
        f"{topic.title()} story\n\nSOURCE: Test Wire\n\n"
        f"Officials said the {topic} project reached its next stage on Monday after a long delay.{extra}"
    )


def _put(path: Path, text: str, mtime: int) -> Path:
    """Write a file and give it the modification time `mtime` (seconds), so a test decides what changed."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder.resolve()


@pytest.fixture
def assistant(tmp_path: Path, cache_dir: Path) -> Assistant:
    return Assistant(make_settings(tmp_path / "store", cache_dir))


def _titles(store: Store) -> list[str]:
    return sorted(str(meta["title"]) for meta in store.articles().values())


def _settled(watcher: Watcher) -> Batch:
    """The batch of the look after the next one: what a file written now settles into."""
    assert watcher.poll() is None
    batch = watcher.poll()
    assert batch is not None
    return batch


def test_a_new_file_is_ingested_once_it_settles_and_not_before(drop: Path, assistant: Assistant) -> None:
    watcher = assistant.watcher([drop])
    story = _put(drop / "harbour.txt", _story("harbour")[:40], 1000)  # half copied
    assert watcher.poll() is None  # first seen
    _put(story, _story("harbour"), 1001)  # the copy goes on
    assert watcher.poll() is None  # changed since the last look
    assert _titles(assistant.store()) == []
    batch = watcher.poll()  # the same size and time at two looks in a row
    assert batch is not None
    assert (batch.files, batch.gone) == ([story], [])
    assert (batch.report.added, batch.report.failed, batch.report.chunks) == (1, 0, 1)
    assert batch.report.lines() == []
    assert _titles(assistant.store()) == ["Harbour story"]
    index = KeywordIndex(index_path(assistant.store()))  # updated with the batch, not at the next question
    assert index.generation == assistant.store().generation()
    assert [p.title for p in index.passages([0])] == ["Harbour story"]


def test_an_unchanged_folder_costs_no_batch_and_a_restart_embeds_nothing(drop: Path, assistant: Assistant) -> None:
    _put(drop / "harbour.txt", _story("harbour"), 1000)
    _put(drop / "railway.md", _story("railway"), 1000)
    watcher = assistant.watcher([drop])
    assert _settled(watcher).report.added == 2
    generation = assistant.store().generation()
    assert [watcher.poll(), watcher.poll()] == [None, None]
    assert assistant.store().generation() == generation  # no ingest ran

    again = assistant.watcher([drop])  # a new process: the files are checked once, by their hash
    report = _settled(again).report
    assert (report.added, report.updated, report.unchanged, report.chunks, report.embedded) == (0, 0, 2, 0, 0)
    assert again.poll() is None


def test_files_that_settle_together_are_one_ingest(
    drop: Path, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[Path]] = []
    real = ingest.watch.run_ingest

    def counted(paths: list[Path], *args: object, **kwargs: object) -> IngestReport:
        calls.append(list(paths))
        return real(paths, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest.watch, "run_ingest", counted)
    watcher = assistant.watcher([drop])
    (drop / "desk").mkdir()
    files = [_put(drop / "desk" / f"{topic}.txt", _story(topic), 1000) for topic in ("harbour", "orchard", "bridge")]
    batch = _settled(watcher)
    assert calls == [sorted(files)] == [batch.files]
    assert batch.report.added == 3


def test_a_changed_file_replaces_its_chunks(drop: Path, assistant: Assistant) -> None:
    story = _put(drop / "harbour.txt", _story("harbour"), 1000)
    watcher = assistant.watcher([drop])
    _settled(watcher)
    before = {p.chunk_id for p in assistant.store().iter_passages()}
    _put(story, _story("harbour", " The mayor spoke on Tuesday."), 2000)
    report = _settled(watcher).report
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 0, 0)  # replaced, not removed
    passages = list(assistant.store().iter_passages())
    assert not before & {p.chunk_id for p in passages}
    assert [("The mayor spoke on Tuesday." in p.text) for p in passages] == [True]
    assert _titles(assistant.store()) == ["Harbour story"]


def test_a_deleted_file_takes_its_articles_with_it(drop: Path, assistant: Assistant) -> None:
    harbour = _put(drop / "harbour.txt", _story("harbour"), 1000)
    _put(drop / "railway.txt", _story("railway"), 1000)
    watcher = assistant.watcher([drop])
    _settled(watcher)
    harbour.unlink()
    batch = watcher.poll()  # a deletion needs no settling
    assert batch is not None
    assert (batch.files, batch.gone, batch.report.removed) == ([], [harbour], 1)
    assert _titles(assistant.store()) == ["Railway story"]
    assert str(harbour) not in assistant.store().files()
    assert watcher.poll() is None


def test_files_deleted_while_nobody_watched_go_at_the_first_look(drop: Path, assistant: Assistant) -> None:
    harbour = _put(drop / "harbour.txt", _story("harbour"), 1000)
    _put(drop / "railway.txt", _story("railway"), 1000)
    assistant.ingest([drop])
    harbour.unlink()
    watcher = assistant.watcher([drop])
    batch = watcher.poll()
    assert batch is not None
    assert (batch.gone, batch.report.removed) == ([harbour], 1)
    assert _titles(assistant.store()) == ["Railway story"]


def test_a_bad_file_is_reported_once_per_version(drop: Path, assistant: Assistant) -> None:
    empty = _put(drop / "empty.txt", "", 1000)
    watcher = assistant.watcher([drop])
    batch = _settled(watcher)
    assert batch.report.lines() == [f"skipped {empty}: empty file"]
    assert (batch.report.failed, batch.report.added) == (1, 0)
    assert watcher.poll() is None  # not again at every look

    _put(drop / "harbour.txt", _story("harbour"), 1000)
    report = _settled(watcher).report
    assert (report.added, report.failed, report.lines()) == (1, 0, [])

    _put(empty, " \n", 2000)  # a new version, still empty
    assert _settled(watcher).report.lines() == [f"skipped {empty}: empty file"]
    assert watcher.poll() is None


def test_other_file_types_are_reported_once_and_not_ingested(drop: Path, assistant: Assistant) -> None:
    notes = _put(drop / "notes.csv", "a,b\n", 1000)
    _put(drop / ".partial.txt", _story("harbour"), 1000)  # hidden: a copy under a temporary name
    watcher = assistant.watcher([drop])
    batch = _settled(watcher)
    assert (batch.files, batch.report.lines()) == ([], [f"ignored {notes}: not an article file type (.csv)"])
    assert "files: 1 ignored" in batch.report.summary()
    assert watcher.poll() is None
    assert _titles(assistant.store()) == []


def test_a_file_outside_the_watched_folder_is_left_alone(drop: Path, tmp_path: Path, assistant: Assistant) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    railway = _put(elsewhere / "railway.txt", _story("railway"), 1000)
    assistant.ingest([elsewhere])
    harbour = _put(drop / "harbour.txt", _story("harbour"), 1000)
    watcher = assistant.watcher([drop])
    _settled(watcher)

    railway.unlink()  # gone, but not from the watched folder
    _put(elsewhere / "orchard.txt", _story("orchard"), 1000)
    harbour.unlink()
    batch = watcher.poll()
    assert batch is not None
    assert (batch.gone, batch.report.removed) == ([harbour.resolve()], 1)
    assert [watcher.poll(), watcher.poll()] == [None, None]
    assert _titles(assistant.store()) == ["Railway story"]
    assert list(assistant.store().files()) == [str(railway.resolve())]


def test_a_store_inside_the_watched_folder_is_not_watched(drop: Path, cache_dir: Path) -> None:
    assistant = Assistant(make_settings(drop / "store", cache_dir))
    _put(drop / "harbour.txt", _story("harbour"), 1000)
    watcher = assistant.watcher([drop])
    batch = _settled(watcher)
    assert (batch.report.added, batch.report.lines()) == (1, [])
    assert [watcher.poll(), watcher.poll()] == [None, None]  # the store changed at the batch, unseen


def test_a_busy_store_leaves_the_files_ready_for_the_next_look(drop: Path, assistant: Assistant) -> None:
    story = _put(drop / "harbour.txt", _story("harbour"), 1000)
    watcher = assistant.watcher([drop])
    assert watcher.poll() is None
    with open(assistant.settings.store.path / ".ingest.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        with pytest.raises(StoreError, match=r"another ingest \(pid 4242\) is writing"):
            watcher.poll()
    batch = watcher.poll()
    assert batch is not None
    assert (batch.files, batch.report.added) == ([story], 1)


def test_run_looks_until_stopped_and_logs_a_failure_once(
    drop: Path, tmp_path: Path, cache_dir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path / "store", cache_dir)
    settings.ingest.watch_interval = 0.01
    assistant = Assistant(settings)
    _put(drop / "harbour.txt", _story("harbour"), 1000)
    watcher = assistant.watcher([drop])
    held = open(settings.store.path / ".ingest.lock", "a+")  # another ingest holds the store
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    held.write("4242")
    held.flush()
    failures: list[StoreError] = []
    real_poll = watcher.poll

    def poll() -> Batch | None:
        try:
            return real_poll()
        except StoreError as exc:
            failures.append(exc)
            if len(failures) == 3:  # the other ingest ends
                held.close()
            raise

    monkeypatch.setattr(watcher, "poll", poll)
    stop = threading.Event()
    batches: list[Batch] = []

    def on_batch(batch: Batch) -> None:
        batches.append(batch)
        stop.set()

    try:
        watcher.run(stop, on_batch)
    finally:
        held.close()
    assert [b.report.added for b in batches] == [1]
    assert len(failures) == 3
    logged = [r.getMessage() for r in caplog.records if r.name == "ingest.watch"]
    busy = f"another ingest (pid 4242) is writing to {settings.store.path}; try again when it ends"
    assert logged == [f"{busy}; trying again every 0.01 s"]


def test_only_folders_can_be_watched(drop: Path, assistant: Assistant) -> None:
    story = _put(drop / "harbour.txt", _story("harbour"), 1000)
    with pytest.raises(ValueError, match=r"^only folders can be watched; not a folder: .*harbour\.txt$"):
        assistant.watcher([drop, story])
    with pytest.raises(ValueError, match=r"^no folder to watch$"):
        assistant.watcher([])


def _watch_and_kill(corpus: Path, store: Path, kill_after: int) -> bool:
    """Run `assistant ingest --watch` logging every commit; SIGKILL it after `kill_after` pipeline debug lines."""
    env = {"ASSISTANT_INGEST__BATCH_SIZE": "1", "ASSISTANT_INGEST__WATCH_INTERVAL": "0.05"}
    return kill_after_commits(["ingest", "--watch", str(corpus), "--store", str(store)], env, kill_after)


def test_a_watcher_killed_mid_batch_leaves_a_store_the_next_watcher_completes(tmp_path: Path, cache_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    clean = tmp_path / "clean"
    Assistant(make_settings(clean, cache_dir)).ingest([corpus])
    expected = _snapshot(clean, cache_dir)
    # The batch logs 12 article commits, 12 file records and 1 removal summary: kill points spread over them.
    for point in (2, 9, 15, 24):
        store = tmp_path / f"killed-at-{point}"
        assert _watch_and_kill(corpus, store, point)
        watcher = Assistant(make_settings(store, cache_dir)).watcher([corpus])
        report = _settled(watcher).report
        assert report.failed == 0 and report.added + report.unchanged == 12
        assert _snapshot(store, cache_dir) == expected, f"killed after {point} lines"
