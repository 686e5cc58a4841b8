"""Answer.to_record / from_record: what the bot stores per sent answer comes back equal, through JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.answer import Answer, Citation, Outcome, Passage
from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.discord_app import render

QUESTIONS = [
    "How often should I water tomatoes?",
    "tomatoes",
    "When did Lukashenka propose the Union State?",
    "What is the capital of Peru?",
    "",
]


def through_json(answer: Answer) -> Answer:
    return Answer.from_record(json.loads(json.dumps(answer.to_record())))


def test_real_answers_round_trip_and_render_the_same(knowledge_dir: Path) -> None:
    engine = Engine.from_folder(knowledge_dir, RetrievalSettings())
    for question in QUESTIONS:
        answer = engine.ask(question, 9)
        back = through_json(answer)
        assert back == answer, question
        for page in range(3):
            assert render.render_answer(back, page, 2) == render.render_answer(answer, page, 2)


def test_optional_fields_and_odd_text_round_trip() -> None:
    citation = Citation("d", "T “quoted” 🍅", None, None, (3,), None, None)
    passage = Passage("d#p3", 0, "a\u200bb", (), "a\u200bb\nc", citation, (), 1)
    answer = Answer("@everyone?", Outcome.ANSWERED, (passage,), message=None, topics=("x",))
    back = through_json(answer)
    assert back == answer and isinstance(back.passages[0].score, float)


def test_a_record_written_before_unused_words_existed_still_loads() -> None:
    answer = Answer("capital of Peru?", Outcome.NO_MATCH, (), "x", ("Topic",), ("Peru",))
    assert through_json(answer) == answer
    old = answer.to_record()
    del old["unused_words"]
    assert Answer.from_record(old) == Answer("capital of Peru?", Outcome.NO_MATCH, (), "x", ("Topic",))


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"version": 2},
        {"version": 1, "question": "q", "outcome": "maybe", "passages": [], "topics": []},
        {"version": 1, "question": 5, "outcome": "answered", "passages": [], "topics": []},
        {"version": 1, "question": "q", "outcome": "answered", "passages": [{"chunk_id": "x"}], "topics": []},
        {"version": 1, "question": "q", "outcome": "answered", "passages": "none", "topics": []},
    ],
)
def test_a_record_of_another_version_or_shape_is_refused(broken: dict) -> None:
    with pytest.raises(ValueError, match="answer record"):
        Answer.from_record(broken)
