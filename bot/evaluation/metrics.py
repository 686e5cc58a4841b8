"""The figures of one system on one question set, and what kind each miss is.

A system (the engine, or a baseline) turns each question into a :class:`Response`: its
best units, best first, each with the paragraph it sits in. Everything here is computed
from responses and items only, so the engine and the baselines are judged by exactly the
same code, and the rules can be tested on hand-made responses.

All "hit" figures are over answerable questions and use :func:`units.holds`:

- hit@1 / hit@3: an answer string is in the top unit / one of the top 3;
- MRR: mean of 1/rank of the first top-3 unit holding an answer (0 when none does);
- para@1: the top unit's *paragraph* holds an answer (items that carry ``para``);
- doc@1: the top unit's document is the item's ``doc`` (items that carry ``doc``);
- false declines: answerable questions the system declined;
- unanswerable declined: share of unanswerable questions declined;
- fooled: unanswerable questions whose top unit holds a ``plausible`` string (items that
  carry plausible strings).

A figure no item qualifies for is "n/a" (a :class:`Rate` with total 0).

Kinds of miss (an answerable question whose top unit does not hold an answer), tested
in this order, the first that applies:

1. ``declined``: the system gave no answer;
2. ``wrong_document``: the top unit is in another document than the item's ``doc``
   (only items that carry ``doc``);
3. ``other_paragraph``: the top unit's paragraph holds no answer string;
4. ``cut_off``: the paragraph holds an answer that overlaps a sentence the unit shows,
   whole or in part: the right place was found, but the quote's length limit (3
   sentences, 400 characters; a trimmed or continued sentence) left the answer out,
   or the answer runs past the quote's edge;
5. ``other_sentence``: the answers are only in sentences of the paragraph the unit does
   not touch at all: the right paragraph, the wrong sentences.

An unanswerable question a system answered is ``should_decline``; it is not one of the
kinds above (they explain lost answers) and for SQuAD-style sets it is mostly a quote of
related text, counted under "unanswerable declined" and "fooled".
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.text.chars import ELLIPSIS  # marks where the engine cut a quote
from bot.evaluation.questions import EvalItem
from bot.evaluation.units import fold, holds, sentence_spans

TOP = 3  # hit@3 and MRR look at this many units


class MissKind(StrEnum):
    DECLINED = "declined"
    WRONG_DOCUMENT = "wrong_document"
    OTHER_PARAGRAPH = "other_paragraph"
    CUT_OFF = "cut_off"
    OTHER_SENTENCE = "other_sentence"
    SHOULD_DECLINE = "should_decline"

    @property
    def label(self) -> str:
        return MISS_LABELS[self]


MISS_LABELS = {
    MissKind.DECLINED: "declined an answerable question",
    MissKind.WRONG_DOCUMENT: "wrong document",
    MissKind.OTHER_PARAGRAPH: "another paragraph (of the right document, when the item names one)",
    MissKind.CUT_OFF: "answer cut off by the quote limits",
    MissKind.OTHER_SENTENCE: "right paragraph, other sentences quoted",
    MissKind.SHOULD_DECLINE: "answered a question it should decline",
}


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One unit a system returned: what it shows, and the paragraph it comes from."""

    text: str  # the engine's quote, or a baseline's paragraph, sentence or window
    doc_id: str
    paragraph: int  # 1-based paragraph number in the document
    paragraph_text: str
    missing: tuple[str, ...] = ()  # the engine's "not found in the quote" words


@dataclass(frozen=True, slots=True)
class Response:
    answered: bool
    top: tuple[Retrieved, ...]  # best first; empty when declined
    seconds: float = 0.0
    flags_missing: bool = False  # the system says "not found in the quote" (the engine does)
    # A decline's question words the knowledge base never uses (the engine's; an alias can join them)
    unused: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` of ``total`` questions; "n/a" when no question qualified."""

    count: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.count / self.total if self.total else None

    def __str__(self) -> str:
        rate = self.rate
        return "n/a" if rate is None else f"{rate:.3f} ({self.count}/{self.total})"

    def to_json(self) -> dict[str, Any] | None:
        rate = self.rate
        return None if rate is None else {"count": self.count, "total": self.total, "rate": rate}


@dataclass(frozen=True, slots=True)
class Miss:
    kind: MissKind
    item: EvalItem
    top: Retrieved | None  # the unit shown first (None when declined)
    rank: int | None  # where an answer was found within the top 3, if at all
    unused: tuple[str, ...] = ()  # a decline's words the knowledge base never uses

    def describe(self) -> str:
        """One line a person can act on: the question, what was expected, what came first (for a
        decline, the question's words the knowledge base never uses: what an alias could join)."""
        where = f"line {self.item.line}: " if self.item.line is not None else ""
        expected = f" (expected {self.item.answers[0]!r})" if self.item.answers else ""
        if self.top is None:
            unused = f"; never used by the knowledge base: {', '.join(self.unused)}" if self.unused else ""
            return f"{where}{self.item.question!r}{expected}{unused}"
        found = f" [answer at rank {self.rank}]" if self.rank else ""
        return (f"{where}{self.item.question!r}{expected}{found} -> {self.top.doc_id} ¶{self.top.paragraph}: "
                f"{self.top.text[:160]!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind), "line": self.item.line, "question": self.item.question,
            "expected": list(self.item.answers),
            "document": self.top.doc_id if self.top else None,
            "paragraph": self.top.paragraph if self.top else None,
            "quote": self.top.text if self.top else None,
            "rank": self.rank,
            "unused_words": list(self.unused),
        }


@dataclass
class Figures:
    questions: int = 0
    hit1: Rate = Rate(0, 0)
    hit3: Rate = Rate(0, 0)
    para1: Rate = Rate(0, 0)
    doc1: Rate = Rate(0, 0)
    false_declines: Rate = Rate(0, 0)
    unanswerable_declined: Rate = Rate(0, 0)
    fooled: Rate = Rate(0, 0)
    flagged_answerable: Rate = Rate(0, 0)  # answered answerable questions whose top quote says "missing"
    flagged_unanswerable: Rate = Rate(0, 0)  # the same for answered unanswerable questions
    reciprocal_rank: float = 0.0
    ms_median: float = 0.0
    ms_mean: float = 0.0
    misses: list[Miss] = field(default_factory=list)

    @property
    def answerable(self) -> int:
        return self.hit1.total

    @property
    def unanswerable(self) -> int:
        return self.unanswerable_declined.total

    @property
    def mrr(self) -> float:
        return self.reciprocal_rank / self.answerable if self.answerable else 0.0

    def rates(self) -> dict[str, Rate]:
        """The rate figures by their name in reports and JSON."""
        return {"hit@1": self.hit1, "hit@3": self.hit3, "para@1": self.para1, "doc@1": self.doc1,
                "false_declines": self.false_declines, "unanswerable_declined": self.unanswerable_declined,
                "fooled": self.fooled, "flagged_answerable": self.flagged_answerable,
                "flagged_unanswerable": self.flagged_unanswerable}

    def misses_by_kind(self) -> dict[MissKind, list[Miss]]:
        grouped: dict[MissKind, list[Miss]] = {kind: [] for kind in MissKind}
        for miss in self.misses:
            grouped[miss.kind].append(miss)
        return grouped

    def summary_lines(self) -> list[str]:
        """The lines ``eval`` has always printed (CI logs and scripts read them)."""
        rate1, rate3 = self.hit1.rate or 0.0, self.hit3.rate or 0.0
        return [
            f"answerable questions: {self.answerable}",
            f"hit@1: {rate1:.3f} ({self.hit1.count}/{self.answerable})",
            f"hit@3: {rate3:.3f} ({self.hit3.count}/{self.answerable})",
            f"MRR: {self.mrr:.3f}",
            f"answerable but declined: {self.false_declines.count}",
            f"correct declines: {self.unanswerable_declined.count}/{self.unanswerable}",
        ]


def answer_rank(item: EvalItem, response: Response) -> int | None:
    """1-based rank of the first of the top 3 units that holds an answer."""
    return next((i for i, unit in enumerate(response.top[:TOP], 1) if holds(unit.text, item.answers)), None)


def answer_cut_off(quote: str, paragraph_text: str, answers: Sequence[str]) -> bool:
    """Does an answer in the paragraph overlap a sentence the quote shows, whole or in part?

    The quote, without the engine's … marks, is a stretch of the white-space-folded
    paragraph (whole sentences, one trimmed sentence, or sentences and the start of the
    next); it is located there, and so are the answers. Case folding keeps lengths
    within one text, and both are folded the same way, so positions compare.
    """
    sentences = [fold(paragraph_text[a:b]) for a, b in sentence_spans(paragraph_text)]
    folded = " ".join(sentences)
    core = fold(quote).strip(ELLIPSIS + " ")
    start = folded.find(core) if core else -1
    if start < 0:
        return False  # not a quote of this paragraph: nothing to say about its limits
    end = start + len(core)
    touched: list[tuple[int, int]] = []
    offset = 0
    for sentence in sentences:
        if offset < end and start < offset + len(sentence):
            touched.append((offset, offset + len(sentence)))
        offset += len(sentence) + 1
    for answer in answers:
        phrase = fold(answer)
        at = folded.find(phrase) if phrase else -1
        while at >= 0:
            if any(a < at + len(phrase) and at < b for a, b in touched):
                return True
            at = folded.find(phrase, at + 1)
    return False


def miss_kind(item: EvalItem, response: Response) -> MissKind | None:
    """The kind of miss (module docstring), or None when the question was handled right."""
    if not item.answerable:
        return MissKind.SHOULD_DECLINE if response.answered else None
    if not response.answered or not response.top:
        return MissKind.DECLINED
    top = response.top[0]
    if holds(top.text, item.answers):
        return None
    if item.doc is not None and top.doc_id != item.doc:
        return MissKind.WRONG_DOCUMENT
    if not holds(top.paragraph_text, item.answers):
        return MissKind.OTHER_PARAGRAPH
    if answer_cut_off(top.text, top.paragraph_text, item.answers):
        return MissKind.CUT_OFF
    return MissKind.OTHER_SENTENCE


def score(items: Sequence[EvalItem], responses: Sequence[Response]) -> Figures:
    """All figures of one system: ``responses[i]`` answers ``items[i]``."""
    if len(items) != len(responses):
        raise ValueError(f"{len(items)} items but {len(responses)} responses")
    counts = {name: [0, 0] for name in ("hit1", "hit3", "para1", "doc1", "false_declines",
                                        "unanswerable_declined", "fooled", "flagged_answerable",
                                        "flagged_unanswerable")}

    def tally(name: str, hit: bool) -> None:
        counts[name][0] += hit
        counts[name][1] += 1

    figures = Figures(questions=len(items))
    for item, response in zip(items, responses, strict=True):
        top = response.top[0] if response.answered and response.top else None
        if top is not None and response.flags_missing:
            tally("flagged_answerable" if item.answerable else "flagged_unanswerable", bool(top.missing))
        if item.answerable:
            rank = answer_rank(item, response) if response.answered else None
            tally("hit1", rank == 1)
            tally("hit3", rank is not None)
            tally("false_declines", not response.answered)
            figures.reciprocal_rank += 1 / rank if rank else 0.0
            if item.para is not None:
                tally("para1", top is not None and holds(top.paragraph_text, item.answers))
            if item.doc is not None:
                tally("doc1", top is not None and top.doc_id == item.doc)
        else:
            rank = None
            tally("unanswerable_declined", not response.answered)
            if item.plausible:
                tally("fooled", top is not None and holds(top.text, item.plausible))
        kind = miss_kind(item, response)
        if kind is not None:
            figures.misses.append(Miss(kind, item, top, rank, response.unused if top is None else ()))
    for name, (count, total) in counts.items():
        setattr(figures, name, Rate(count, total))
    ms = [r.seconds * 1000 for r in responses]
    figures.ms_median = statistics.median(ms) if ms else 0.0
    figures.ms_mean = statistics.fmean(ms) if ms else 0.0
    return figures
