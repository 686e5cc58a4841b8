"""Question sets: both formats load into one item type; bad items are named by file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.problems import ProblemError
from bot.evaluation.questions import EvalItem, load_questions

REPO = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_items_keep_the_old_format_and_take_the_new_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.yaml",
                  "# a comment\n"
                  "- question: When was it founded?\n  expect: '1922'\n"
                  "- question: Who signed?\n  expect: [Yeltsin, Shushkevich]\n  note: either\n"
                  "- question: Best pizza?\n  expect: null\n  plausible: pepperoni\n"
                  "- question: Where?\n  expect: [Minsk]\n  doc: belarus\n  para: 3\n  answerable: true\n")
    qs = load_questions(path)
    assert qs.format == "yaml" and qs.problems == ()
    assert qs.items == (
        EvalItem("When was it founded?", ("1922",), True, line=2),
        EvalItem("Who signed?", ("Yeltsin", "Shushkevich"), True, line=4),
        EvalItem("Best pizza?", (), False, plausible=("pepperoni",), line=7),
        EvalItem("Where?", ("Minsk",), True, doc="belarus", para=3, line=10),
    )


def test_yaml_bad_items_are_reported_by_line_and_the_rest_loads(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.yaml",
                  "- question: Good one?\n  expect: [da]\n"
                  "- expect: [no question]\n"
                  "- question: A year?\n  expect: [1922]\n"
                  "- question: Typo in key?\n  expcet: [x]\n"
                  "- question: Empty list?\n  expect: []\n"
                  "- question: Contradiction?\n  expect: null\n  answerable: true\n"
                  "- question: Plausible on an answerable one?\n  expect: [a]\n  plausible: [b]\n"
                  "- question: Bad paragraph?\n  expect: [a]\n  para: 0\n"
                  "- question: Last good one?\n  expect: [ok]\n")
    qs = load_questions(path)
    assert [i.question for i in qs.items] == ["Good one?", "Last good one?"]
    assert [str(p) for p in qs.problems] == [
        f"{path}:3: item needs a 'question' text",
        f"{path}:4: 'expect' holds 1922, which is not text: put it in quotes",
        f"{path}:6: unknown key(s): expcet",
        f"{path}:8: 'expect' must be a phrase, a list of phrases, or null",
        f"{path}:10: 'answerable: true' needs answers",
        f"{path}:13: 'plausible' is for questions the text does not answer",
        f"{path}:16: 'para' must be a paragraph number (1 or more)",
    ]


def test_yaml_that_is_not_a_list_or_not_yaml_is_refused_whole(tmp_path: Path) -> None:
    with pytest.raises(ProblemError) as info:
        load_questions(_write(tmp_path, "a.yaml", "question: not a list\n"))
    assert str(info.value) == f"{tmp_path / 'a.yaml'}:1: expected a list of {{question, expect}} items"
    with pytest.raises(ProblemError) as info:
        load_questions(_write(tmp_path, "b.yaml", "- question: [unclosed\n"))
    assert str(info.value).startswith(f"{tmp_path / 'b.yaml'}:") and "not valid YAML" in str(info.value)


SQUAD_LINES = [
    {"id": "a1", "q": "Who proposed it?", "answers": ["Lukashenka", "Lukashenka himself"], "answerable": True,
     "doc": "belarus", "para": 2, "plausible": []},
    {"id": "a2", "q": "Who rejected it?", "answers": [], "answerable": False, "doc": "belarus", "para": 2,
     "plausible": ["Yeltsin"]},
]


def test_jsonl_in_the_squad_format(tmp_path: Path) -> None:
    text = "\n".join(json.dumps(o) for o in SQUAD_LINES) + "\n\n"
    qs = load_questions(_write(tmp_path, "q.jsonl", text))
    assert qs.format == "jsonl" and qs.problems == ()
    assert qs.items == (
        EvalItem("Who proposed it?", ("Lukashenka", "Lukashenka himself"), True, "belarus", 2, (), 1),
        EvalItem("Who rejected it?", (), False, "belarus", 2, ("Yeltsin",), 2),
    )


def test_jsonl_is_recognised_by_content_without_the_extension(tmp_path: Path) -> None:
    qs = load_questions(_write(tmp_path, "questions.txt", json.dumps(SQUAD_LINES[0]) + "\n"))
    assert qs.format == "jsonl" and len(qs.items) == 1
    qs = load_questions(_write(tmp_path, "questions.list", "- question: q?\n  expect: null\n"))
    assert qs.format == "yaml" and qs.items[0].answerable is False


def test_jsonl_bad_lines_are_reported_by_line_and_the_rest_loads(tmp_path: Path) -> None:
    good = json.dumps(SQUAD_LINES[0])
    lines = [
        good,
        '{"q": "unclosed", "answers": [',
        '["not", "an", "object"]',
        '{"q": "no answers key"}',
        '{"q": "", "answers": ["x"]}',
        '{"q": "says unanswerable", "answers": ["x"], "answerable": false}',
        '{"q": "says answerable", "answers": [], "answerable": true}',
        '{"q": "typo", "answer": ["x"], "answers": ["x"]}',
        '{"q": "para as text", "answers": ["x"], "para": "3"}',
        '{"q": "empty answer string", "answers": [""]}',
        "",
        json.dumps(SQUAD_LINES[1]),
    ]
    path = _write(tmp_path, "q.jsonl", "\n".join(lines))
    qs = load_questions(path)
    assert [i.line for i in qs.items] == [1, 12]
    problems = [str(p) for p in qs.problems]
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in range(2, 11)]
    assert "not valid JSON" in problems[0]
    assert "expected a JSON object" in problems[1]
    assert "needs 'answers'" in problems[2]
    assert "needs a 'q' text" in problems[3]
    assert "'answerable: false' but answers are given" in problems[4]
    assert "'answerable: true' needs answers" in problems[5]
    assert "unknown key(s): answer" in problems[6]
    assert "'para' must be a paragraph number" in problems[7]
    assert "empty string" in problems[8]


def test_a_file_with_no_usable_question_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "q.jsonl", '{"q": "x"}\n')
    with pytest.raises(ProblemError) as info:
        load_questions(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:1: item needs 'answers' (an empty list for a question the text does not answer)",
        f"{path}: no usable questions",
    ]
    with pytest.raises(ProblemError, match="cannot read"):
        load_questions(tmp_path / "missing.jsonl")


def test_the_shipped_sets_load_without_problems() -> None:
    squad = load_questions(REPO / "tests" / "data" / "squad-dev" / "questions.jsonl")
    assert squad.problems == () and len(squad.items) == 3017
    assert sum(i.answerable for i in squad.items) == 1452
    assert all(i.doc and i.para for i in squad.items)
    assert all(i.plausible for i in squad.items if not i.answerable)
    for path in sorted((REPO / "tests" / "data").glob("questions*.yaml")):
        assert load_questions(path).problems == (), path
