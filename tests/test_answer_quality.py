"""Answer quality on the shipped question sets: a regression gate, not a benchmark.

The thresholds are the levels reached when the retrieval settings were chosen (README,
"Answer quality"); a change to analysis, aliases or ranking that loses ground fails
here and lists the questions it lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.core.engine import Engine
from bot.core.evaluation import evaluate, load_eval_items
from bot.core.index.build import load_snapshot

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="module")
def engine() -> Engine:
    settings = load_settings(REPO / "config" / "config.yaml")
    return Engine(load_snapshot(REPO / "knowledge", settings.retrieval))


@pytest.mark.parametrize(
    ("name", "min_hit1", "min_hit3", "max_declined", "min_declines"),
    [
        # file                      hit@1  hit@3  answerable declined  off-topic declined
        ("questions.yaml",            0.92,  0.96,  0,                   13),
        ("questions_second_set.yaml", 0.82,  0.84,  2,                   10),
        ("questions_third_set.yaml",  0.92,  0.92,  1,                   15),
        ("questions_fourth_set.yaml", 0.84,  0.90,  0,                   15),
        ("questions_fifth_set.yaml",  0.93,  0.94,  1,                   16),
        ("questions_sixth_set.yaml",  0.87,  0.91,  0,                   14),
    ],
)
def test_question_set_quality(engine: Engine, name: str, min_hit1: float, min_hit3: float,
                              max_declined: int, min_declines: int) -> None:
    items = load_eval_items(DATA / name)
    assert sum(i.expect is not None for i in items) >= 40
    assert sum(i.expect is None for i in items) >= 10
    report = evaluate(items, engine.ask)
    detail = "\n".join(report.summary_lines() + report.misses)
    assert report.hit_at_1 >= min_hit1, detail
    assert report.hit_at_3 >= min_hit3, detail
    assert report.declined_answerable <= max_declined, detail
    assert report.correct_declines >= min_declines, detail
