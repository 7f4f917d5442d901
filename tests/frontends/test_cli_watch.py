"""`assistant ingest --watch`: a real process watching a folder, stopped by a signal between batches."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.frontends.cli import cli
from tests.fixtures.core import EXAMPLES, make_settings
from tests.fixtures.servers import BIN

SUMMARY = "articles: {} added, 0 updated, 0 unchanged, 0 duplicates, 0 skipped, {} removed; files: 0 ignored; "


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_watch_follows_the_folder_until_stopped(stop: signal.Signals, tmp_path: Path, cache_dir: Path) -> None:
    drop = (tmp_path / "drop").resolve()
    drop.mkdir()
    (drop / "mali.txt").write_bytes((EXAMPLES / "mali-takuba-2020-11-04.txt").read_bytes())
    store = tmp_path / "store"
    env = {**os.environ, "ASSISTANT_INGEST__WATCH_INTERVAL": "0.1"}
    proc = subprocess.Popen(
        [str(BIN / "assistant"), "ingest", "--watch", str(drop), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith(SUMMARY.format(1, 0))  # the file there at the start
        (drop / "harbour.md").write_bytes((EXAMPLES / "harborview-budget-2024-03-12.md").read_bytes())
        assert proc.stdout.readline().startswith(SUMMARY.format(1, 0))  # a file dropped in
        (drop / "mali.txt").unlink()
        assert proc.stdout.readline().startswith(SUMMARY.format(0, 1))  # a file taken out
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert (proc.returncode, out) == (0, "")
    assert err.splitlines() == [f"watching {drop} every 0.1 s, into {store}; Ctrl-C stops", "stopped watching"]
    titles = [m["title"] for m in Assistant(make_settings(store, cache_dir)).store().articles().values()]
    assert titles == ["Harborview Council Passes Flood-Defence Budget"]


def test_watch_takes_folders_only_and_no_prune(tmp_path: Path) -> None:
    seed = EXAMPLES / "mali-takuba-2020-11-04.txt"
    store = tmp_path / "store"
    result = CliRunner().invoke(cli, ["ingest", "--watch", str(EXAMPLES), str(seed), "--store", str(store)])
    assert (result.exit_code, result.stderr) == (1, f"Error: only folders can be watched; not a folder: {seed}\n")
    assert not store.exists()
    result = CliRunner().invoke(cli, ["ingest", "--watch", "--prune", str(EXAMPLES), "--store", str(store)])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: --watch removes the articles of files deleted from its folders; leave out --prune\n"
    )
