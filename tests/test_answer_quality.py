"""Answer quality on the team's question set: a regression gate, not a benchmark.

The thresholds are the levels reached when the retrieval settings were chosen (see the
README, "Answer quality"); a change to analysis, aliases or ranking that loses ground
fails here and shows which questions it lost.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.config import load_settings
from bot.core.engine import Engine, load_snapshot
from bot.core.evaluation import evaluate, load_eval_items

REPO = Path(__file__).resolve().parent.parent
MIN_HIT_AT_1 = 0.89
MIN_HIT_AT_3 = 0.92
MAX_DECLINED_ANSWERABLE = 1
MIN_CORRECT_DECLINES = 13


def test_team_question_set_quality() -> None:
    settings = load_settings(REPO / "config" / "config.yaml")
    engine = Engine(load_snapshot(REPO / "knowledge", settings.retrieval))
    items = load_eval_items(REPO / "tests" / "data" / "questions.yaml")
    assert sum(i.expect is not None for i in items) >= 40
    assert sum(i.expect is None for i in items) >= 10
    report = evaluate(items, engine.ask)
    detail = "\n".join(report.summary_lines() + report.misses)
    assert report.hit_at_1 >= MIN_HIT_AT_1, detail
    assert report.hit_at_3 >= MIN_HIT_AT_3, detail
    assert report.declined_answerable <= MAX_DECLINED_ANSWERABLE, detail
    assert report.correct_declines >= MIN_CORRECT_DECLINES, detail
