"""Run the engine and the baselines over one question set and one knowledge folder.

The engine is asked exactly as users ask it (``Engine.ask``), for the top 3 passages
whatever ``retrieval.top`` says, so hit@3 always means the same. Each passage becomes a
:class:`Retrieved` whose text is its quote and whose paragraph is the first one it cites,
looked up in the snapshot the answer came from.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.answer import Answer
from bot.core.engine import Engine
from bot.core.knowledge.documents import Document
from bot.evaluation.baselines import build_baselines
from bot.evaluation.metrics import TOP, Figures, Response, Retrieved, score
from bot.evaluation.questions import EvalItem, QuestionSet


def paragraph_texts(documents: Sequence[Document]) -> dict[tuple[str, int], str]:
    return {(d.doc_id, p.number): p.text for d in documents for p in d.paragraphs}


def engine_response(answer: Answer, paragraphs: dict[tuple[str, int], str], seconds: float) -> Response:
    """An engine answer as the metrics see it: each passage's quote and first cited paragraph."""
    if not answer.answered:
        return Response(False, (), seconds, flags_missing=True)
    top = []
    for passage in answer.passages[:TOP]:
        citation = passage.citation
        number = citation.paragraphs[0]
        top.append(Retrieved(passage.quote, citation.doc_id, number,
                             paragraphs.get((citation.doc_id, number), passage.text), passage.missing))
    return Response(True, tuple(top), seconds, flags_missing=True)


def engine_responses(engine: Engine, items: Sequence[EvalItem]) -> list[Response]:
    paragraphs = paragraph_texts(engine.snapshot.documents)
    responses = []
    for item in items:
        started = time.perf_counter()
        answer = engine.ask(item.question, TOP)
        response = engine_response(answer, paragraphs, time.perf_counter() - started)
        if not answer.answered:  # what an alias could join, for the report: the decline says it
            response = dataclasses.replace(response, unused=answer.unused_words)
        responses.append(response)
    return responses


def evaluate_engine(engine: Engine, items: Sequence[EvalItem]) -> Figures:
    """The engine's figures alone (the quality tests and the tuning script need no baselines)."""
    return score(items, engine_responses(engine, items))


@dataclass
class SystemRun:
    name: str  # "engine", "rank_bm25:paragraph", "bm25s:window", ...
    library: str
    unit: str  # what its "quote" is: quote, paragraph, sentence or window
    units: int  # how many units it ranks (the engine: chunks)
    build_seconds: float
    figures: Figures


@dataclass
class EvalRun:
    questions: QuestionSet
    knowledge: Path
    documents: int
    paragraphs: int
    systems: list[SystemRun] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (system, why it did not run)

    @property
    def engine(self) -> Figures:
        return self.systems[0].figures


def run_eval(engine: Engine, questions: QuestionSet, knowledge: Path, baselines: bool = True) -> EvalRun:
    """The engine first, then every baseline that can run, on the engine's own documents."""
    snap = engine.snapshot
    items = questions.items
    run = EvalRun(questions, knowledge, len(snap.documents), sum(len(d.paragraphs) for d in snap.documents))
    run.systems.append(SystemRun("engine", "kb-quote-bot", "quote", len(snap.chunks), snap.build_seconds,
                                 evaluate_engine(engine, items)))
    if not baselines:
        run.skipped.append(("baselines", "--no-baselines"))
        return run
    built, run.skipped = build_baselines(snap.documents)
    for baseline in built:
        figures = score(items, [baseline.respond(item.question) for item in items])
        run.systems.append(SystemRun(baseline.name, baseline.library, baseline.unit, len(baseline.units),
                                     baseline.build_seconds, figures))
    return run
