"""``eval``: regression-test a knowledge base against a list of questions.

Each item names phrases of which one must appear in the top quote (``expect``), or
``expect: null`` for questions the bot must decline. The figures are the ones a
moderator needs to see whether an edit made answers better or worse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.answer import Answer, Passage
from bot.core.problems import Problem, ProblemError


@dataclass(frozen=True, slots=True)
class EvalItem:
    question: str
    expect: tuple[str, ...] | None  # None: must decline
    line: int | None = None


def load_eval_items(path: Path) -> list[EvalItem]:
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ProblemError(Problem(shown, None, f"cannot read: {exc.strerror or exc}")) from None
    except UnicodeDecodeError:
        raise ProblemError(Problem(shown, None, "not valid UTF-8")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProblemError(Problem(shown, mark.line + 1 if mark else None,
                                   f"not valid YAML: {getattr(exc, 'problem', exc)}")) from None
    if not isinstance(data, list):
        raise ProblemError(Problem(shown, 1, "expected a list of {question, expect} items"))
    nodes = node.value if isinstance(node, yaml.SequenceNode) else []
    items: list[EvalItem] = []
    problems: list[Problem] = []
    for i, raw in enumerate(data):
        line = nodes[i].start_mark.line + 1 if i < len(nodes) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("question"), str):
            problems.append(Problem(shown, line, "item needs a 'question' text"))
            continue
        unknown = set(raw) - {"question", "expect", "note"}
        if unknown:
            problems.append(Problem(shown, line, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}"))
            continue
        expect = raw.get("expect")
        if expect is None:
            items.append(EvalItem(raw["question"], None, line))
        elif isinstance(expect, str):
            items.append(EvalItem(raw["question"], (expect,), line))
        elif isinstance(expect, list) and expect and all(isinstance(e, str) for e in expect):
            items.append(EvalItem(raw["question"], tuple(expect), line))
        else:
            problems.append(Problem(shown, line, "'expect' must be a phrase, a list of phrases, or null"))
    if problems:
        raise ProblemError(problems)
    return items


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def passage_hits(passage: Passage, expect: Sequence[str]) -> bool:
    quote = _norm(passage.quote)
    return any(_norm(e) in quote for e in expect)


@dataclass
class EvalReport:
    answerable: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    reciprocal_rank: float = 0.0
    declined_answerable: int = 0
    off_topic: int = 0
    correct_declines: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def hit_at_1(self) -> float:
        return self.hits_at_1 / self.answerable if self.answerable else 0.0

    @property
    def hit_at_3(self) -> float:
        return self.hits_at_3 / self.answerable if self.answerable else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_rank / self.answerable if self.answerable else 0.0

    @property
    def decline_rate(self) -> float:
        return self.correct_declines / self.off_topic if self.off_topic else 1.0

    def summary_lines(self) -> list[str]:
        return [
            f"answerable questions: {self.answerable}",
            f"hit@1: {self.hit_at_1:.3f} ({self.hits_at_1}/{self.answerable})",
            f"hit@3: {self.hit_at_3:.3f} ({self.hits_at_3}/{self.answerable})",
            f"MRR: {self.mrr:.3f}",
            f"answerable but declined: {self.declined_answerable}",
            f"correct declines: {self.correct_declines}/{self.off_topic}",
        ]


def evaluate(items: Sequence[EvalItem], ask: Callable[[str], Answer]) -> EvalReport:
    report = EvalReport()
    for item in items:
        answer = ask(item.question)
        if item.expect is None:
            report.off_topic += 1
            if not answer.answered:
                report.correct_declines += 1
            else:
                first = answer.passages[0]
                report.misses.append(f"should decline: {item.question!r} -> "
                                     f"{first.citation.location}: {first.quote[:120]!r}")
            continue
        report.answerable += 1
        if not answer.answered:
            report.declined_answerable += 1
            report.misses.append(f"declined: {item.question!r} (expected {item.expect[0]!r})")
            continue
        rank = next((i for i, p in enumerate(answer.passages[:3], 1) if passage_hits(p, item.expect)), None)
        if rank == 1:
            report.hits_at_1 += 1
        if rank is not None:
            report.hits_at_3 += 1
            report.reciprocal_rank += 1 / rank
        if rank != 1:
            top = answer.passages[0]
            label = f"rank {rank}" if rank else "miss"
            report.misses.append(f"{label}: {item.question!r} (expected {item.expect[0]!r}) -> "
                                 f"{top.citation.location}: {top.quote[:160]!r}")
    return report
