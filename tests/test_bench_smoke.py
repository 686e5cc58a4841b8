"""The benchmark runs end to end at a small size (figures are printed, not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# The references are development tools (the `dev` extra); the README's test command installs
# only `test`, so without them this check is skipped rather than failed.
pytest.importorskip("bm25s", reason="bm25s is a benchmark reference, installed by the dev extra")

from bot.bench import main


def test_bench_quick_small_size_reports_every_engine(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    assert main(["--sizes", "300", "--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Machine:" in printed and "| retrieval p50" in printed
    results = json.loads(out.read_text())
    (size,) = results["sizes"].values()
    ours = size["ours"]
    for key in ("cold_build", "startup", "incremental", "ret_p50", "ret_p99", "ans_p50", "ans_p99",
                "index_mib", "peak_rss_mib", "lag_p99"):
        assert ours[key] > 0, key
    assert ours["answered"] > 0
    assert size["bm25s"]["ret_p50"] > 0 and size["rank_bm25"]["ret_p50"] > 0
