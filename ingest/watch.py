"""Watch folders for article files that arrive, change or go, and hand each batch of settled changes to run_ingest.

A file is ready once its size, modification time and inode are the same at two looks in a row, so a file still being
copied is left alone until it settles. Each look that finds ready files, or files gone, makes one `run_ingest` call
over just those files, pruning the records of files gone from the watched folders (and no others): the ingest's
idempotence, writer lock and crash safety hold for every batch. Each file version is handed over once, so a file
that cannot be read is reported once, not at every look.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from langchain_core.embeddings import Embeddings

from ingest.load import SUPPORTED
from ingest.pipeline import IngestReport, run_ingest
from ingest.store import Store
from newsdesk.errors import AssistantError
from newsdesk.settings import IngestSettings

log = logging.getLogger(__name__)


class WatchError(AssistantError):
    """A watched folder cannot be read; the message names it."""


class FileState(NamedTuple):
    """What a look records of a file: a change to any field is a change to the file."""

    size: int
    mtime_ns: int
    inode: int


@dataclass
class Batch:
    """One batch handed to `run_ingest`: the settled files, the files gone, and the ingest's report (its `ignored`
    lists the settled files of other types, each once)."""

    files: list[Path]
    gone: list[Path]
    report: IngestReport


class Watcher:
    """Keeps a store in step with folders: `poll()` for one look, `run(stop)` to look every `watch_interval` s."""

    def __init__(
        self,
        folders: Iterable[Path],
        store: Callable[[], Store],
        embeddings: Embeddings,
        settings: IngestSettings,
        after_ingest: Callable[[Store], object] | None = None,
    ) -> None:
        """`store` is called for each batch (`Assistant.store` reopens a store another process changed);
        `after_ingest` is called with it after each ingest (the keyword index's update). A path that
        is not a folder is a ValueError, before `store` is called. Files the store already holds from these folders
        are checked at the first batch, and the records of those that are gone are dropped."""
        given = [Path(f) for f in folders]
        if not given:
            raise ValueError("no folder to watch")
        if bad := [str(f) for f in given if not f.is_dir()]:
            raise ValueError(f"only folders can be watched; not a folder: {', '.join(bad)}")
        self.folders = list(dict.fromkeys(f.resolve() for f in given))
        self.store = store
        self.embeddings = embeddings
        self.settings = settings
        self.interval = settings.watch_interval
        self.after_ingest = after_ingest
        opened = store()
        # An embedded store inside a watched folder changes at every batch; it is no article folder.
        self._skip = set() if opened.settings.host else {str(Path(opened.settings.path).resolve())}
        # Paths as text, as the store records them (a look compares thousands of them).
        self._seen: dict[str, FileState] = {}
        # What was handed over, per file; None: ingested before this watcher started, to be checked once.
        self._handed: dict[str, FileState | None] = {
            p: None for p in opened.files() if self._watched(Path(p)) and _is_article(p)
        }

    def poll(self) -> Batch | None:
        """One look: ingest the files that settled since they were last handed over and prune the files gone, in
        one `run_ingest` call. None when nothing is ready. When the ingest fails, its error is raised and the same
        files are ready again at the next look. A watched folder that cannot be read is a WatchError, and nothing
        is pruned: its files must not look deleted."""
        now = self._look()
        ready = sorted(p for p, state in now.items() if self._seen.get(p) == state and self._handed.get(p) != state)
        self._seen = now
        articles = [Path(p) for p in ready if _is_article(p)]
        others = [p for p in ready if not _is_article(p)]
        gone = [Path(p) for p in sorted(self._handed) if p not in now and _is_article(p)]
        if not (articles or others or gone):
            return None
        log.debug("%d files ready, %d of other types, %d gone", len(articles), len(others), len(gone))
        if articles or gone:
            store = self.store()
            report = run_ingest(articles, store, self.embeddings, self.settings, prune=self.folders, progress=False)
            if self.after_ingest is not None:
                self.after_ingest(store)
        else:
            report = IngestReport(store=self.store().location)
        report.ignored += others
        for path in ready:
            self._handed[path] = now[path]
        for path in [p for p in self._handed if p not in now]:
            del self._handed[path]
        return Batch(articles, gone, report)

    def run(self, stop: threading.Event, on_batch: Callable[[Batch], None] | None = None) -> None:
        """Look every `interval` seconds until `stop` is set, passing each batch to `on_batch`. `stop` is checked
        between batches: a batch under way ends first. A failed batch (the store busy with another ingest, the
        embedding server down, a folder unreadable) is logged, once until the error changes, and tried again at
        the next look."""
        last_error = ""
        while not stop.is_set():
            try:
                batch = self.poll()
            except AssistantError as exc:
                if str(exc) != last_error:
                    log.warning("%s; trying again every %g s", exc, self.interval)
                last_error = str(exc)
            else:
                last_error = ""
                if batch is not None and on_batch is not None:
                    on_batch(batch)
            stop.wait(self.interval)

    def _watched(self, path: Path) -> bool:
        return any(path.is_relative_to(folder) for folder in self.folders)

    def _look(self) -> dict[str, FileState]:
        """Every file under the folders now, hidden files and folders passed over (as ingest does)."""
        found: dict[str, FileState] = {}
        for folder in self.folders:
            self._scan(str(folder), found, top=True)
        return found

    def _scan(self, folder: str, found: dict[str, FileState], top: bool = False) -> None:
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            if top:
                raise WatchError(f"the watched folder {folder} is gone") from None
            return  # a subfolder removed while we looked: its files are gone
        except OSError as exc:
            raise WatchError(f"cannot read the watched folder {folder}: {exc.strerror or exc}") from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.path not in self._skip:
                        self._scan(entry.path, found)
                elif entry.is_file():
                    stat = entry.stat()
                    key = os.path.realpath(entry.path) if entry.is_symlink() else entry.path  # as ingest records it
                    found[key] = FileState(stat.st_size, stat.st_mtime_ns, stat.st_ino)
            except FileNotFoundError:
                continue  # removed while we looked


def _is_article(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in SUPPORTED
