"""kill -9 at ten points of a real ingest subprocess, then re-run: the store equals a clean run's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from assistant import Assistant
from assistant.keyword_sync import KeywordIndexes
from ingest.store import Store
from tests.fixtures.core import make_settings

ASSISTANT = str(Path(sys.executable).parent / "assistant")
_TOPICS = ["harbour", "railway", "orchard", "library", "bridge", "market", "school", "clinic"]


def _write_corpus(folder: Path, n: int = 12) -> None:
    rng = random.Random(7)
    folder.mkdir()
    for i in range(n):
        topic = _TOPICS[i % len(_TOPICS)]
        sentences = [
            f"Officials in district {i} said the {topic} project reached stage {j} after {rng.randint(2, 90)} days."
            for j in range(24)
        ]
        (folder / f"story-{i:02d}.txt").write_text(f"Story {i} about the {topic}\n\nSOURCE: Test Wire\n\n" + " ".join(sentences))


def _snapshot(store: Path, cache_dir: Path, reader: KeywordIndexes | None = None) -> tuple[dict[str, int], set[str], int]:
    """Counts and chunk ids, after checking the manifest, the chunks and the keyword index agree. `reader` is a
    keyword-index cache that has been in use since before the rerun (a long-running `serve`)."""
    s = Assistant(make_settings(store, cache_dir)).store()
    ids = [p.chunk_id for p in s.iter_passages()]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    for keyword in (reader or KeywordIndexes(), KeywordIndexes()):  # refreshed, then loaded as a new process would
        assert keyword.get(s).chunk_ids() == set(ids), "keyword index and Chroma disagree"
    articles = {a: int(m["n_chunks"]) for a, m in s.articles().items()}
    files = s.files()
    assert {a for f in files.values() for a in f.article_ids} == set(articles)
    per_article: dict[str, int] = {}
    for chunk_id in ids:
        per_article[chunk_id.split(":")[0]] = per_article.get(chunk_id.split(":")[0], 0) + 1
    assert per_article == articles, "chunks and manifest disagree"
    return articles, set(ids), len(files)


def kill_after_commits(args: list[str], env: dict[str, str], kill_after: int) -> bool:
    """Run `assistant -vv ARGS` (each commit logged); SIGKILL it after `kill_after` pipeline debug lines. True if it
    was killed."""
    proc = subprocess.Popen(
        [ASSISTANT, "-vv", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env={**os.environ, **env}, text=True
    )
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        if "DEBUG ingest.pipeline:" in line:
            seen += 1
            if seen >= kill_after:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=120)
    return proc.returncode == -signal.SIGKILL


def _ingest_and_kill(corpus: Path, store: Path, kill_after: int) -> bool:
    """Run an ingest that logs every commit; SIGKILL it after `kill_after` debug lines. True if it was killed."""
    args = ["ingest", str(corpus), "--store", str(store), "-q"]
    return kill_after_commits(args, {"ASSISTANT_INGEST__BATCH_SIZE": "1"}, kill_after)


def test_kill_anywhere_then_rerun_equals_clean_run(tmp_path: Path, cache_dir: Path) -> None:
    corpus = tmp_path / "corpus"
    _write_corpus(corpus)
    clean = tmp_path / "clean"
    subprocess.run([ASSISTANT, "ingest", str(corpus), "--store", str(clean), "-q"], check=True, capture_output=True)
    expected = _snapshot(clean, cache_dir)
    assert len(expected[0]) == 12
    embedder = Assistant(make_settings(clean, cache_dir))

    # Debug lines per run: 12 article commits, 12 file records, 1 removal summary. Kill points spread over them.
    points = sorted(random.Random(2024).sample(range(1, 25), 10))
    killed = 0
    for n, point in enumerate(points):
        store = tmp_path / f"run{n}"
        killed += _ingest_and_kill(corpus, store, point)
        reader = KeywordIndexes()  # a reader indexes the half-written store, and saves that index beside it
        half = Store(make_settings(store, cache_dir).store, embedder.model_id)
        assert len(reader.get(half)) == half.count()
        result = subprocess.run([ASSISTANT, "ingest", str(corpus), "--store", str(store), "-q"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert _snapshot(store, cache_dir, reader) == expected, f"kill after {point} lines"
    assert killed >= 8  # nearly every run really died mid-way


def test_second_writer_stops_with_a_clear_message(tmp_path: Path, cache_dir: Path) -> None:
    import fcntl

    store = tmp_path / "store"
    Assistant(make_settings(store, cache_dir)).ingest([Path(__file__).resolve().parents[2] / "examples" / "corpus"])
    with open(store / ".ingest.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.truncate(0)
        held.write("4242")
        held.flush()
        result = subprocess.run(
            [ASSISTANT, "ingest", str(tmp_path), "--store", str(store), "-q"], capture_output=True, text=True
        )
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: another ingest (pid 4242) is writing to {store}; try again when it ends"
