"""The writer lease of server collections (ingest/lease.py), against a real `chroma run` server: a second ingest is
refused while one holds it, lapsed or orphaned leases are taken over, it is released however an ingest ends, it is
renewed while an ingest writes, and readers never wait for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from assistant import Assistant, Settings
from ingest.lease import LEASE_ID, Holder, WriterLease, read_holder, server_time
from ingest.pipeline import run_ingest
from ingest.store import Store, StoreError
from tests.fixtures.core import EXAMPLES, SEED_QUESTION, make_settings

ASSISTANT = str(Path(sys.executable).parent / "assistant")
BA_NDAOU = "Colonel Major Ba N’Daou as Mali’s interim president"


@pytest.fixture
def settings(chroma_server: tuple[str, int], tmp_path: Path, cache_dir: Path) -> Settings:
    """Settings for a collection of its own on the session's Chroma server."""
    settings = make_settings(tmp_path / "unused", cache_dir)
    settings.store.host, settings.store.port = chroma_server
    settings.store.collection = f"lease-{uuid.uuid4().hex[:12]}"
    return settings


def open_store(settings: Settings) -> Store:
    return Assistant(settings).store(create=True)


def where(settings: Settings) -> str:
    return f"chroma://{settings.store.host}:{settings.store.port}/{settings.store.collection}"


def plant(store: Store, host: str, pid: int, expires: float) -> None:
    """A lease record as another ingest would have left it."""
    store.manifest.upsert(
        ids=[LEASE_ID],
        embeddings=[[1.0]],
        metadatas=[{"kind": "lease", "host": host, "pid": pid, "token": "theirs", "expires": expires}],
    )


def dead_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def cli_ingest(settings: Settings, *paths: Path) -> subprocess.CompletedProcess[str]:
    """`assistant ingest` in its own process, pointed at the settings' server collection."""
    env = {
        **os.environ,
        "ASSISTANT_STORE__HOST": str(settings.store.host),
        "ASSISTANT_STORE__PORT": str(settings.store.port),
        "ASSISTANT_STORE__COLLECTION": settings.store.collection,
    }
    return subprocess.run([ASSISTANT, "ingest", *map(str, paths), "-q"], env=env, capture_output=True, text=True)


def busy(settings: Settings, holder: Holder | None) -> str:
    """The refusal an ingest gets while `holder` holds the lease."""
    assert holder is not None
    return f"another ingest (pid {holder.pid} on {holder.host}) is writing to {where(settings)}; try again when it ends"


def test_second_ingest_is_refused_while_a_lease_is_held(settings: Settings) -> None:
    store = open_store(settings)
    with WriterLease(store, 120) as lease:
        result = cli_ingest(settings, EXAMPLES)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"Error: another ingest (pid {os.getpid()} on {socket.gethostname()}) is writing to {where(settings)}; "
            "try again when it ends"
        )
        assert store.count() == 0
        assert store.manifest.get()["ids"] == [LEASE_ID]  # no article, file or ingest-state record either
        holder = read_holder(store)
        assert holder is not None and holder.token == lease.token


def test_live_lease_of_another_host_is_refused_whatever_its_pid(settings: Settings) -> None:
    store = open_store(settings)
    plant(store, "elsewhere", dead_pid(), server_time(store) + 120)  # that pid means nothing on this host
    with pytest.raises(StoreError) as refused:
        Assistant(settings).ingest([EXAMPLES])
    assert str(refused.value) == busy(settings, read_holder(store))
    assert store.count() == 0


def test_expired_lease_is_taken_over(settings: Settings) -> None:
    store = open_store(settings)
    plant(store, "elsewhere", 4242, server_time(store) - 1)
    result = cli_ingest(settings, EXAMPLES)
    assert result.returncode == 0, result.stderr
    assert store.count() > 0
    assert read_holder(store) is None


def test_lease_of_a_dead_process_on_this_host_is_taken_over_at_once(settings: Settings) -> None:
    store = open_store(settings)
    plant(store, socket.gethostname(), dead_pid(), server_time(store) + 120)
    report = Assistant(settings).ingest([EXAMPLES])
    assert report.failed == 0 and report.chunks == store.count() > 0
    assert read_holder(store) is None


class FailingEmbeddings(Embeddings):
    """An embedding service that fails mid-ingest."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("embedding service down")

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("embedding service down")


def test_lease_is_released_after_an_ingest_and_after_a_failing_one(settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(settings)
    assistant.ingest([EXAMPLES])
    store = assistant.store()
    assert read_holder(store) is None

    news = tmp_path / "skyport.txt"
    news.write_text("Skyport mooring mast\n\nSOURCE: Skyport Courier\n\nThe zeppelin Aurelia docked at the mast.\n")
    with pytest.raises(RuntimeError, match="embedding service down"):
        run_ingest([EXAMPLES, news], store, FailingEmbeddings(), settings.ingest)
    assert read_holder(store) is None
    # The next ingest is not refused, and writes the article the failed one could not.
    report = assistant.ingest([EXAMPLES, news])
    assert (report.failed, report.added) == (0, 1)
    assert any("zeppelin Aurelia" in p.text for p in store.iter_passages())
    assert read_holder(store) is None


def test_lease_is_renewed_at_half_time_and_a_takeover_stops_the_holder(settings: Settings) -> None:
    store = open_store(settings)
    with WriterLease(store, 120) as lease:
        first = read_holder(store)
        lease.renew()  # more than half is left: nothing is written
        assert read_holder(store) == first

    with WriterLease(store, 0.5) as lease:
        first = read_holder(store)
        assert first is not None
        renewed, deadline = first, time.monotonic() + 10
        while renewed == first and time.monotonic() < deadline:  # due 0.25 s after taking it
            lease.renew()
            renewed = read_holder(store)
        assert renewed is not None and renewed.token == lease.token and renewed.expires > first.expires

        plant(store, "elsewhere", 4242, server_time(store) + 120)  # the lease lapsed and another ingest took it
        with pytest.raises(StoreError) as lost:
            while time.monotonic() < deadline:
                lease.renew()
        assert str(lost.value) == (
            f"this ingest lost its claim on {where(settings)} to another ingest (pid 4242 on elsewhere); "
            "it stopped, run it again when the other one ends"
        )
    after = read_holder(store)  # leaving did not remove the other ingest's lease
    assert after is not None and (after.host, after.pid, after.token) == ("elsewhere", 4242, "theirs")


def test_readers_are_not_blocked_by_the_lease(settings: Settings) -> None:
    Assistant(settings).ingest([EXAMPLES])
    with WriterLease(open_store(settings), 120):
        reader = Assistant(settings)
        assert any(BA_NDAOU in p.text for p in reader.retrieve(SEED_QUESTION))
        answer = reader.ask(SEED_QUESTION)
        assert not answer.refused and any(BA_NDAOU in c["quote"] for c in answer.public()["citations"])
