"""A keyword index on disk: saved under `<home>/<format>-<generation>/` so a cold start loads it instead of
rebuilding it. The home is `<store>/keyword-index` for an embedded store, and `store.index_cache/<host>-<port>-
<collection>` on this machine for a server collection; a home keeps only its current generation."""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import bm25s
import numpy as np

from assistant.keyword import KeywordIndex
from ingest.store import Store
from newsdesk.types import Passage

log = logging.getLogger(__name__)

INDEX_DIR = "keyword-index"
_FORMAT = "bm25s-v2"
_META_FIELDS = ("chunk_id", "article_id", "title", "source", "published_at", "url", "text", "start", "end")


def save_index(index: KeywordIndex, folder: Path) -> None:
    """Write `index` to `folder` (created; replaced atomically if another process did not win the race)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        if index.model is not None:
            index.model.save(str(tmp / "bm25"), show_progress=False)
        if index.sentence_model is not None:
            index.sentence_model.save(str(tmp / "bm25-sentences"), show_progress=False)
            np.save(tmp / "sentence-owner.npy", index.sentence_owner)
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as out:
            for p in index.passages:
                out.write(json.dumps([getattr(p, f) for f in _META_FIELDS], ensure_ascii=False) + "\n")
        (tmp / "format.json").write_text(json.dumps({"format": _FORMAT, "generation": index.generation}))
        try:
            os.rename(tmp, folder)
        except OSError:  # another reader saved the same generation first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_index(folder: Path) -> KeywordIndex | None:
    """The index saved in `folder`, or None when it is missing or not ours."""
    try:
        info = json.loads((folder / "format.json").read_text())
        if info.get("format") != _FORMAT:
            return None
        passages = []
        with open(folder / "passages.jsonl", encoding="utf-8") as handle:
            for line in handle:
                passages.append(Passage(**dict(zip(_META_FIELDS, json.loads(line)))))
        model = sentence_model = owner = None
        if passages:
            model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
            sentence_model = bm25s.BM25.load(str(folder / "bm25-sentences"), show_progress=False)
            owner = np.load(folder / "sentence-owner.npy")
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable keyword index at %s: %s", folder, exc)
        return None
    return KeywordIndex(passages, model, str(info.get("generation", "")), sentence_model, owner)


def index_home(store: Store) -> Path:
    """Where a store's keyword indexes are saved: beside an embedded store; for a server collection, in this
    machine's `store.index_cache`, one folder per server and collection."""
    settings = store.settings
    if not settings.host:
        return Path(settings.path) / INDEX_DIR
    return Path(settings.index_cache) / _safe(f"{settings.host}-{settings.port}-{settings.collection}")


def folder_name(generation: str) -> str:
    """The folder of a generation's index, named with the format too: an index saved by another version of this
    code is never mistaken for the current one (and is removed with the other generations)."""
    return f"{_FORMAT}-{_safe(generation) or 'initial'}"


def remove_other_generations(keep: Path) -> None:
    """Delete every other index saved in `keep`'s home (the temporary folders of writers still at work stay)."""
    for other in keep.parent.iterdir():
        if other != keep and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
