"""The ``eval`` report: a table a person reads, and a JSON file scripts compare.

The text starts with the engine's summary lines, unchanged since the first ``eval``
(``hit@1: 0.930 (53/57)`` ...; CI logs and tests read them), then one column per system
and one row per figure, then the engine's misses by kind with a few examples each.

``--json FILE`` writes every figure (schema ``"kb-quote-bot eval 1"``)::

    {
      "schema": "kb-quote-bot eval 1",
      "questions": {"path": str, "format": "yaml" | "jsonl", "items": int,
                    "answerable": int, "unanswerable": int,
                    "problems": [str]},            # "path:line: message", items left out
      "knowledge": {"path": str, "documents": int, "paragraphs": int},
      "systems": [                                  # the engine first, then the baselines
        {"name": str,                               # "engine", "rank_bm25:paragraph", "bm25s:window", ...
         "library": str,                            # "kb-quote-bot", "rank_bm25", "bm25s"
         "unit": "quote" | "paragraph" | "sentence" | "window",
         "units": int,                              # units ranked (engine: index chunks)
         "build_seconds": float,
         "figures": {                               # each RATE, or null when n/a
           "hit@1": RATE, "hit@3": RATE, "para@1": RATE, "doc@1": RATE,
           "false_declines": RATE, "unanswerable_declined": RATE, "fooled": RATE,
           "flagged_answerable": RATE, "flagged_unanswerable": RATE},  # top quote says "missing"
         "mrr": float,
         "ms_per_question": {"median": float, "mean": float},
         "miss_counts": {KIND: int},                # every kind, 0 included
         "misses": [MISS]}                          # the engine only: every miss
      ],
      "skipped": [{"name": str, "reason": str}]     # systems that could not run
    }
    RATE = {"count": int, "total": int, "rate": float}
    KIND = "declined" | "wrong_document" | "other_paragraph" | "cut_off"
         | "other_sentence" | "should_decline"
    MISS = {"kind": KIND, "line": int | null, "question": str, "expected": [str],
            "document": str | null, "paragraph": int | null, "quote": str | null,
            "rank": int | null,                     # rank: answer found at 2 or 3
            "unused_words": [str]}                  # a decline: question words the knowledge
                                                    # base never uses (what an alias can join)

The figures and kinds are defined in :mod:`bot.evaluation.metrics`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import Figures, MissKind, Rate
from bot.evaluation.runner import EvalRun, SystemRun

SCHEMA = "kb-quote-bot eval 1"

# (row label, figure name in Figures.rates(), what its total counts)
RATE_ROWS = (
    ("hit@1", "hit@1", "answerable"),
    ("hit@3", "hit@3", "answerable"),
    ("para@1", "para@1", "answerable, with para"),
    ("doc@1", "doc@1", "answerable, with doc"),
    ("false declines", "false_declines", "answerable"),
    ("unanswerable declined", "unanswerable_declined", "unanswerable"),
    ("fooled", "fooled", "unanswerable, with plausible"),
    ("'not found in the quote' shown", "flagged_answerable", "answered answerable"),
    ("'not found in the quote' shown", "flagged_unanswerable", "answered unanswerable"),
)


def _cell(rate: Rate) -> str:
    value = rate.rate
    return "n/a" if value is None else f"{value:.3f} ({rate.count})"


def table_lines(run: EvalRun) -> list[str]:
    """One column per system, one row per figure; each row label says what it counts."""
    systems = run.systems
    engine = run.engine
    rows: list[tuple[str, list[str]]] = [("", [s.library for s in systems]), ("", [s.unit for s in systems])]
    for label, name, counted in RATE_ROWS:
        total = engine.rates()[name].total
        rows.append((f"{label} (of {total} {counted})" if total else label,
                     [_cell(s.figures.rates()[name]) for s in systems]))
    rows.append(("MRR (top 3)", [f"{s.figures.mrr:.3f}" for s in systems]))
    rows.append(("ms per question, median", [f"{s.figures.ms_median:.2f}" for s in systems]))
    rows.append(("ms per question, mean", [f"{s.figures.ms_mean:.2f}" for s in systems]))
    rows.append(("units ranked", [str(s.units) for s in systems]))
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(cells[i]) for _, cells in rows) for i in range(len(systems))]
    return ["  ".join([label.ljust(label_width), *(c.rjust(w) for c, w in zip(cells, widths, strict=True))])
            .rstrip() for label, cells in rows]


def miss_lines(figures: Figures, examples: int) -> list[str]:
    grouped = figures.misses_by_kind()
    lost = sum(len(v) for k, v in grouped.items() if k is not MissKind.SHOULD_DECLINE)
    lines = [f"engine misses: {lost} of {figures.answerable} answerable not at rank 1; "
             f"{len(grouped[MissKind.SHOULD_DECLINE])} of {figures.unanswerable} unanswerable answered"]
    for kind, misses in grouped.items():
        if not misses:
            continue
        total = figures.unanswerable if kind is MissKind.SHOULD_DECLINE else figures.answerable
        lines.append(f"  {kind.label} [{kind}]: {len(misses)} ({len(misses) / total:.1%})")
        lines.extend(f"    {m.describe()}" for m in misses[:examples])
        if len(misses) > examples > 0:
            lines.append(f"    ... and {len(misses) - examples} more")
    return lines


def report_lines(run: EvalRun, examples: int = 5) -> list[str]:
    qs = run.questions
    engine = run.engine
    lines = [f"questions: {qs.path} ({qs.format}): {len(qs.items)} "
             f"({engine.answerable} answerable, {engine.unanswerable} must decline)"
             + (f", {len(qs.problems)} left out (problems above)" if qs.problems else ""),
             f"knowledge: {run.knowledge} ({run.documents} documents, {run.paragraphs} paragraphs)",
             "", *engine.summary_lines(), ""]
    lines.extend(table_lines(run))
    for name, reason in run.skipped:
        lines.append(f"note: {name} skipped: {reason}")
    if len(run.systems) > 1:
        lines.append("note: baselines never decline; rank_bm25 rows use the same Okapi scores computed "
                     "with numpy (bot/evaluation/baselines.py)")
    lines.append("")
    lines.extend(miss_lines(engine, examples))
    return lines


def system_json(system: SystemRun, with_misses: bool) -> dict[str, Any]:
    f = system.figures
    counts = {str(kind): len(misses) for kind, misses in f.misses_by_kind().items()}
    out: dict[str, Any] = {
        "name": system.name, "library": system.library, "unit": system.unit, "units": system.units,
        "build_seconds": system.build_seconds,
        "figures": {name: rate.to_json() for name, rate in f.rates().items()},
        "mrr": f.mrr,
        "ms_per_question": {"median": f.ms_median, "mean": f.ms_mean},
        "miss_counts": counts,
    }
    if with_misses:
        out["misses"] = [m.to_json() for m in f.misses]
    return out


def run_json(run: EvalRun) -> dict[str, Any]:
    qs = run.questions
    return {
        "schema": SCHEMA,
        "questions": {"path": str(qs.path), "format": qs.format, "items": len(qs.items),
                      "answerable": run.engine.answerable, "unanswerable": run.engine.unanswerable,
                      "problems": [str(p) for p in qs.problems]},
        "knowledge": {"path": str(run.knowledge), "documents": run.documents, "paragraphs": run.paragraphs},
        "systems": [system_json(s, with_misses=i == 0) for i, s in enumerate(run.systems)],
        "skipped": [{"name": name, "reason": reason} for name, reason in run.skipped],
    }


def write_json(run: EvalRun, path: Path) -> None:
    path.write_text(json.dumps(run_json(run), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
