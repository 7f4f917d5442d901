"""One ingest at a time into a collection on a Chroma server: a writer lease kept in the collection's manifest.

An embedded store is guarded by a file lock beside it (ingest/pipeline.py), but a server can be written from several
machines, so the claim lives in the store: record `state:writer` of `<collection>__manifest` names its owner (host
name, pid, a random token) and when it lapses. Times are the server's clock (its heartbeat), so the hosts' clocks
need not agree. A crashed ingest's lease lapses; one left by a process that is gone from this same host is taken
over at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ingest.store import NO_VECTOR, Store, StoreError

log = logging.getLogger(__name__)

LEASE_ID = "state:writer"


@dataclass(frozen=True)
class Holder:
    """Who holds a writer lease, and until when (server time, seconds since the epoch)."""

    host: str
    pid: int
    token: str
    expires: float


def read_holder(store: Store) -> Holder | None:
    """The lease record of a server collection, expired or not; None when nobody holds one."""
    got: Any = store.manifest.get(ids=[LEASE_ID], include=["metadatas"])  # Chroma types every field Optional
    if not got["ids"]:
        return None
    meta = got["metadatas"][0]
    return Holder(str(meta["host"]), int(meta["pid"]), str(meta["token"]), float(meta["expires"]))


def server_time(store: Store) -> float:
    """The Chroma server's clock, in seconds since the epoch."""
    return store.client.heartbeat() / 1e9


def busy_message(who: str, where: str) -> str:
    """The one-line refusal of a second ingest, for the embedded store's file lock and the server lease alike; `who`
    names the ingest already writing (" (pid N)", " (pid N on HOST)", or "")."""
    return f"another ingest{who} is writing to {where}; try again when it ends"


def _who(holder: Holder | None) -> str:
    return f" (pid {holder.pid} on {holder.host})" if holder else ""


class WriterLease:
    """An ingest's claim to write one server collection: `with WriterLease(store, 120):`, calling `renew()` often.

    Chroma has no compare-and-swap, so acquiring is read, check, write, then read back to see our token. Two ingests
    that start within one round trip of each other can both read "free"; if the first reads its write back before the
    second writes, both go on believing they hold the lease. The window is the few milliseconds between one ingest's
    read and its write. The loser finds out at its next renewal (within half a lease), when the record names another
    token, and stops with a StoreError. Until then both write: every write is an upsert keyed by content, and a later
    ingest of the same files restores anything the other's clean-up removed.
    """

    def __init__(self, store: Store, seconds: float) -> None:
        self.store = store
        self.seconds = seconds
        self.where = f"{store.location}/{store.settings.collection}"
        self.host = socket.gethostname()
        self.token = secrets.token_hex(16)
        self._renew_at = 0.0  # time.monotonic() from which `renew` writes a new expiry

    def acquire(self) -> None:
        """Take the lease, or raise StoreError naming the live ingest that holds it."""
        holder = read_holder(self.store)
        now = server_time(self.store)
        if holder and holder.token != self.token:
            if holder.expires > now and not self._gone(holder):
                raise StoreError(busy_message(_who(holder), self.where))
            reason = "expired" if holder.expires <= now else "its process is gone"
            log.warning("taking over the writer lease of pid %d on %s (%s)", holder.pid, holder.host, reason)
        self._write(now)
        confirmed = read_holder(self.store)
        if confirmed is None or confirmed.token != self.token:  # another ingest wrote between our read and write
            raise StoreError(busy_message(_who(confirmed), self.where))
        log.debug("holding the writer lease on %s for %.0f s", self.where, self.seconds)

    def renew(self) -> None:
        """Push the expiry forward once less than half the lease is left: call it between units of work (a clock read
        until renewal is due). Raises StoreError if another ingest has taken the lease, so this one stops writing."""
        if time.monotonic() < self._renew_at:
            return
        holder = read_holder(self.store)
        if holder is None or holder.token != self.token:
            raise StoreError(
                f"this ingest lost its claim on {self.where} to another ingest{_who(holder)}; "
                "it stopped, run it again when the other one ends"
            )
        self._write(server_time(self.store))
        log.debug("renewed the writer lease on %s", self.where)

    def release(self) -> None:
        """Give the lease up if it is still ours. A failure is logged, not raised: the lease then lapses by itself,
        and whatever error ended the ingest stays the one reported."""
        try:
            holder = read_holder(self.store)
            if holder and holder.token == self.token:
                self.store.manifest.delete(ids=[LEASE_ID])
        except Exception as exc:  # noqa: BLE001 - e.g. the server went away: the lease lapses instead
            log.warning(
                "could not release the writer lease on %s (%s); it lapses within %.0f s", self.where, exc, self.seconds
            )

    def __enter__(self) -> WriterLease:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    def _write(self, now: float) -> None:
        started = time.monotonic()
        self.store.manifest.upsert(
            ids=[LEASE_ID],
            embeddings=NO_VECTOR,
            metadatas=[
                {
                    "kind": "lease",
                    "host": self.host,
                    "pid": os.getpid(),
                    "token": self.token,
                    "expires": now + self.seconds,
                }
            ],
        )
        self._renew_at = started + self.seconds / 2

    def _gone(self, holder: Holder) -> bool:
        """Whether the holder is a process of this host that no longer runs (host names are taken to be unique)."""
        if holder.host != self.host or holder.pid == os.getpid():
            return False
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return False
