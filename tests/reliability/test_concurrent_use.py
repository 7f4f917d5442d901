"""Concurrent use: readers keep answering while a real ingest process writes the embedded store, and several
`assistant serve` processes share one `chroma run` server, all seeing what another process ingests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant import Answer, Assistant
from ingest.store import Store
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings
from tests.fixtures.web_process import ServeProcess, clean_env, serve_processes

ASSISTANT = str(Path(sys.executable).parent / "assistant")
BA_NDAOU = "Colonel Major Ba N’Daou as Mali’s interim president"
_TOPICS = ["harbour", "railway", "orchard", "library", "bridge", "market", "school", "clinic"]
_FIRST = ["Aino", "Bram", "Cleo", "Dario", "Edda", "Femi", "Greta", "Hugo", "Ilse", "Joren"]
_LAST = ["Vantablack", "Quillfeather", "Marrowby", "Oakhurst", "Pellinore", "Rookwood", "Stavely", "Tarrant"]


def chair(i: int) -> str:
    """The made-up chair of district i's committee (unique per district)."""
    return f"{_FIRST[i % len(_FIRST)]} {_LAST[i // len(_FIRST) % len(_LAST)]}"


def write_wire(folder: Path, first: int, n: int) -> None:
    """n synthetic wire stories (districts first..first+n-1), each about 600 tokens with one unique fact."""
    folder.mkdir(parents=True)
    for i in range(first, first + n):
        topic = _TOPICS[i % len(_TOPICS)]
        filler = [
            f"Residents of district {i} discussed the {topic} plan at meeting {j}, and the minutes ran to {j + 3} pages."
            for j in range(22)
        ]
        fact = f"The {topic} committee of district {i} elected {chair(i)} as its chair on Monday."
        body = " ".join(filler[:11] + [fact] + filler[11:])
        (folder / f"wire-{i:03d}.txt").write_text(f"District {i} {topic} news\n\nSOURCE: Test Wire\n\n{body}\n")


def cites(answer: Answer | dict[str, Any], text: str) -> bool:
    """Whether an answer (an Answer, or its JSON) quotes `text` in one of its citations."""
    public = answer.public() if isinstance(answer, Answer) else answer
    return any(text in c["quote"] for c in public["citations"])


def test_readers_keep_answering_while_an_ingest_writes(store_copy: Path, tmp_path: Path, cache_dir: Path) -> None:
    wire = tmp_path / "wire"
    write_wire(wire, 0, 36)
    reader = Assistant(make_settings(store_copy, cache_dir))
    before = reader.store().count()
    proc = subprocess.Popen(  # small batches: articles are written all through the ingest, not only at its end
        [ASSISTANT, "ingest", str(wire), "--store", str(store_copy), "-q"],
        env={**os.environ, "ASSISTANT_INGEST__BATCH_SIZE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    counts, asked, deadline = set(), 0, time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            answer = reader.ask(SEED_QUESTION)
            assert not answer.refused and cites(answer, BA_NDAOU), answer.answer
            counts.add(reader.store().count())
            asked += 1
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    after = reader.store().count()
    assert after > before
    assert any(before < c < after for c in counts), "no question was asked while the ingest was half done"
    # The same reader, without a restart, now answers from the new articles too.
    answer = reader.ask(f"Which committee elected {chair(10)} as its chair?")
    assert cites(answer, f"The orchard committee of district 10 elected {chair(10)}"), answer.answer
    assert asked >= 3


def test_a_reader_answers_from_another_process_s_new_article_while_its_vectors_load(
    store_copy: Path, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first question after another process's ingest is not held up while this process loads the store's
    vectors afresh (seconds on a big store): it is answered at once, the new article included and ranked on the
    vector ingest gave it, while the old copy of the vectors goes on serving."""
    loading, release = threading.Event(), threading.Event()
    warm = Store._warm

    def held_warm(store: Store, client: Any) -> None:
        loading.set()
        release.wait(120)
        warm(store, client)

    monkeypatch.setattr(Store, "_warm", held_warm)
    reader = Assistant(make_settings(store_copy, cache_dir))
    assert cites(reader.ask(SEED_QUESTION), BA_NDAOU)  # this process has loaded the vectors
    wire = tmp_path / "wire"
    write_wire(wire, 200, 1)
    subprocess.run([ASSISTANT, "ingest", str(wire), "--store", str(store_copy), "-q"], check=True, capture_output=True)
    question, fact = (
        f"Which committee elected {chair(200)} as its chair?",
        f"The {_TOPICS[200 % len(_TOPICS)]} committee of district 200",
    )
    try:
        held = reader.retrieve(question, k=3)
        answer = reader.ask(question)
        assert loading.is_set() and reader.store().stale()  # the fresh copy is still loading
    finally:
        release.set()
    assert fact in held[0].text and held[0].relevance is not None
    assert cites(answer, f"{fact} elected {chair(200)}"), answer.answer
    deadline = time.monotonic() + 120
    while reader.store().stale() and time.monotonic() < deadline:  # the fresh copy is swapped in
        reader.retrieve(question, k=3)
    after = reader.retrieve(question, k=3)
    assert after[0].chunk_id == held[0].chunk_id and after[0].relevance == pytest.approx(held[0].relevance, abs=1e-4)


# ---- server mode: two `assistant serve` processes, one `chroma run` server ----------------------------------------


@pytest.fixture(scope="module")
def two_servers(
    chroma_server: tuple[str, int], cache_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[ServeProcess], dict[str, str]]]:
    """The example corpus in a collection of the Chroma server, and two `assistant serve` processes over it, each
    with its own keyword index (as on two machines): each must take in another process's ingest by itself."""
    host, port = chroma_server
    work = tmp_path_factory.mktemp("two-servers")
    server = {
        "ASSISTANT_STORE__HOST": host,
        "ASSISTANT_STORE__PORT": str(port),
        "ASSISTANT_STORE__COLLECTION": "two_apps",
    }
    env = clean_env(work, cache_dir, **server, ASSISTANT_STORE__INDEX_CACHE=str(work / "ingest-index"))
    subprocess.run([ASSISTANT, "ingest", str(EXAMPLES), "-q"], env=env, check=True, capture_output=True)
    machines = [
        clean_env(work, cache_dir, **server, ASSISTANT_STORE__INDEX_CACHE=str(work / f"index-{n}")) for n in (1, 2)
    ]
    with serve_processes(work, machines) as servers:
        yield servers, env


def ask(base: str, question: str) -> dict[str, Any]:
    response = httpx.post(f"{base}/api/ask", json={"question": question}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def test_two_servers_over_one_chroma_server_answer_alike(
    two_servers: tuple[list[ServeProcess], dict[str, str]],
) -> None:
    servers, _ = two_servers
    health = [httpx.get(f"{s.base}/healthz").json() for s in servers]
    assert [h["status"] for h in health] == ["ok", "ok"]
    assert health[0]["store"] == health[1]["store"] and health[0]["chunks"] == health[1]["chunks"] > 0
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda base: ask(base, SEED_QUESTION), [s.base for s in servers] * 3))
    assert all(cites(a, BA_NDAOU) for a in answers)
    assert len({a["answer"] for a in answers}) == 1


def test_both_servers_answer_during_and_after_another_process_ingests(
    two_servers: tuple[list[ServeProcess], dict[str, str]], tmp_path: Path
) -> None:
    servers, env = two_servers
    wire = tmp_path / "wire"
    write_wire(wire, 100, 8)
    proc = subprocess.Popen(
        [ASSISTANT, "ingest", str(wire), "-q"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    asked, deadline = 0, time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for server in servers:
                assert cites(ask(server.base, SEED_QUESTION), BA_NDAOU)
                asked += 1
    finally:
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert asked >= 2
    for server in servers:  # each process refreshes its keyword index and searches the new vectors
        answer = ask(server.base, f"Which committee elected {chair(103)} as its chair?")
        assert cites(answer, f"The clinic committee of district 103 elected {chair(103)}"), answer["answer"]


def test_a_slow_store_check_holds_up_no_other_thread(example_store: Path, cache_dir: Path) -> None:
    """Checking whether the store changed (a round trip to a Chroma server) happens outside the assistant's lock:
    while one question waits on it, another thread still gets the store and the answerer."""
    assistant = Assistant(make_settings(example_store, cache_dir))
    store = assistant.store()
    checking, release = threading.Event(), threading.Event()
    fresh = store.stale

    def slow_check() -> bool:
        if threading.current_thread().name == "slow":
            checking.set()
            release.wait(30)
        return fresh()

    store.stale = slow_check  # type: ignore[method-assign]
    slow = threading.Thread(target=assistant.store, name="slow")
    slow.start()
    try:
        assert checking.wait(30)
        with ThreadPoolExecutor(1) as pool:
            other = pool.submit(lambda: (assistant.store(), assistant.answerer().name))
            assert other.result(timeout=30) == (store, "extractive")
            assert slow.is_alive()  # the slow check was still under way
    finally:
        release.set()
        slow.join(30)
