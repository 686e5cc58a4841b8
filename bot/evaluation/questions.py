"""Question sets for ``eval``: the YAML lists moderators write, and SQuAD-style JSON Lines.

Both load into one item type, :class:`EvalItem`, so every figure is computed the same
way whichever format a set came in. The format is told by the extension (``.jsonl``;
``.yaml``/``.yml``) and otherwise by the content (a first character ``{`` is JSON Lines).

YAML (a list; ``expect: null`` means the bot must decline)::

    - question: How many people were detained after the 2020 protests?
      expect: ["37 000"]            # a phrase or a list: any one in the quote counts
    - question: What's the best pizza topping?
      expect: null
      plausible: ["pepperoni"]      # optional: wrong answers a careless bot would quote
    # optional on any item: note (ignored), doc (knowledge file id), para (1-based ¶),
    # answerable (true/false; must agree with expect)

JSON Lines (one object a line; blank lines are skipped): ``q`` (the question),
``answers`` (list; empty for a question the text does not answer), and optionally
``answerable`` (must agree with ``answers``), ``doc``, ``para``, ``plausible``, ``id``.

A bad item is reported as ``path:line: problem`` and the others still load, so one typo
in a file of thousands of questions does not hide the figures of the rest; the caller
decides what problems mean for the run (``eval`` prints the figures, then exits 1).
Only a file that cannot be read or parsed at all raises :class:`ProblemError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.core.problems import Problem, ProblemError, item_lines, load_yaml

Format = Literal["yaml", "jsonl"]


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One question and what counts as its answer, whichever file format it came from."""

    question: str
    answers: tuple[str, ...]  # any one in the quote counts; empty: the bot must decline
    answerable: bool  # always bool(answers); spelled out so no reader has to infer it
    doc: str | None = None  # the knowledge file the question was written on
    para: int | None = None  # ... and its 1-based paragraph
    plausible: tuple[str, ...] = ()  # unanswerable only: wrong answers that look right
    line: int | None = None  # where the item starts in its file

    def __post_init__(self) -> None:
        if self.answerable != bool(self.answers):
            raise ValueError("an item is answerable exactly when it has answers")


@dataclass(frozen=True, slots=True)
class QuestionSet:
    path: Path
    format: Format
    items: tuple[EvalItem, ...]
    problems: tuple[Problem, ...]  # items left out, one problem each


class ItemError(ValueError):
    """One item is unusable; the message says why, the caller adds path and line."""


def detect_format(path: Path, text: str) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return "jsonl"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "jsonl" if text.lstrip().startswith("{") else "yaml"


def load_questions(path: Path) -> QuestionSet:
    """Load a question set in either format (see the module docstring)."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemError(Problem(shown, None, f"cannot read: {exc.strerror or exc}")) from None
    except UnicodeDecodeError:
        raise ProblemError(Problem(shown, None, "not valid UTF-8")) from None
    fmt = detect_format(path, text)
    items, problems = (_load_jsonl if fmt == "jsonl" else _load_yaml)(shown, text)
    if not items:
        problems.append(Problem(shown, None, "no usable questions"))
        raise ProblemError(problems)
    return QuestionSet(path, fmt, tuple(items), tuple(problems))


# --- field checks shared by both formats --------------------------------------------------


def _phrases(value: Any, key: str, *, allow_one: bool) -> tuple[str, ...]:
    if allow_one and not isinstance(value, list):
        value = [value]
    if isinstance(value, list):
        scalar = next((v for v in value if isinstance(v, bool | int | float)), None)
        if scalar is not None:  # YAML reads 1922 as a number and yes as true
            raise ItemError(f"'{key}' holds {scalar!r}, which is not text: put it in quotes")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ItemError(f"'{key}' must be a list of strings" + (" or one string" if allow_one else ""))
    if any(not v.strip() for v in value):
        raise ItemError(f"'{key}' holds an empty string, which every text contains")
    return tuple(value)


def _optional_fields(raw: dict[str, Any]) -> tuple[str | None, int | None]:
    doc = raw.get("doc")
    if doc is not None and (not isinstance(doc, str) or not doc.strip()):
        raise ItemError("'doc' must be a knowledge file id (the file name without extension)")
    para = raw.get("para")
    if para is not None and (isinstance(para, bool) or not isinstance(para, int) or para < 1):
        raise ItemError("'para' must be a paragraph number (1 or more)")
    return doc, para


def _make_item(question: Any, question_key: str, answers: tuple[str, ...], raw: dict[str, Any],
               line: int | None) -> EvalItem:
    if not isinstance(question, str) or not question.strip():
        raise ItemError(f"item needs a '{question_key}' text")
    answerable = raw.get("answerable")
    if answerable is not None:
        if not isinstance(answerable, bool):
            raise ItemError("'answerable' must be true or false")
        if answerable != bool(answers):
            raise ItemError("'answerable: true' needs answers" if answerable
                            else "'answerable: false' but answers are given")
    plausible = raw.get("plausible")
    plausible_phrases = () if plausible is None else _phrases(plausible, "plausible", allow_one=True)
    if plausible_phrases and answers:
        raise ItemError("'plausible' is for questions the text does not answer")
    doc, para = _optional_fields(raw)
    return EvalItem(question, answers, bool(answers), doc, para, plausible_phrases, line)


def _collect(shown: str, entries: Iterable[tuple[int | None, Any]],
             make: Callable[[Any, int | None], EvalItem]) -> tuple[list[EvalItem], list[Problem]]:
    """Items made from ``(line, raw)`` entries; each one that fails becomes a problem."""
    items: list[EvalItem] = []
    problems: list[Problem] = []
    for line, raw in entries:
        try:
            items.append(make(raw, line))
        except ItemError as exc:
            problems.append(Problem(shown, line, str(exc)))
    return items, problems


# --- YAML --------------------------------------------------------------------------------

YAML_KEYS = frozenset({"question", "expect", "note", "answerable", "plausible", "doc", "para"})


def _yaml_item(raw: Any, line: int | None) -> EvalItem:
    if not isinstance(raw, dict):
        raise ItemError("item needs a 'question' text")
    unknown = set(raw) - YAML_KEYS
    if unknown:
        raise ItemError(f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    expect = raw.get("expect")
    if expect is None:
        answers: tuple[str, ...] = ()
    else:
        if not isinstance(expect, str | list | bool | int | float) or expect == []:
            raise ItemError("'expect' must be a phrase, a list of phrases, or null")
        answers = _phrases(expect, "expect", allow_one=True)
    return _make_item(raw.get("question"), "question", answers, raw, line)


def _load_yaml(shown: str, text: str) -> tuple[list[EvalItem], list[Problem]]:
    data = load_yaml(text, shown)
    if not isinstance(data, list):
        raise ProblemError(Problem(shown, 1, "expected a list of {question, expect} items"))
    found = item_lines(text)  # every item's line: misses name it
    lines = [found[i] if i < len(found) else None for i in range(len(data))]
    return _collect(shown, zip(lines, data, strict=True), _yaml_item)


# --- JSON Lines (SQuAD) ------------------------------------------------------------------

JSONL_KEYS = frozenset({"id", "q", "answers", "answerable", "doc", "para", "plausible"})


def _jsonl_item(text: str, line: int | None) -> EvalItem:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ItemError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise ItemError("expected a JSON object {\"q\": ..., \"answers\": [...], ...}")
    unknown = set(raw) - JSONL_KEYS
    if unknown:
        raise ItemError(f"unknown key(s): {', '.join(sorted(unknown))}")
    if "answers" not in raw:
        raise ItemError("item needs 'answers' (an empty list for a question the text does not answer)")
    answers = _phrases(raw["answers"], "answers", allow_one=False)
    return _make_item(raw.get("q"), "q", answers, raw, line)


def _load_jsonl(shown: str, text: str) -> tuple[list[EvalItem], list[Problem]]:
    lines = ((number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip())
    return _collect(shown, lines, _jsonl_item)
