"""Grid search of retrieval settings on a question set; prints one line per setting.

Used to choose the BM25 variant, k1/b and the decline threshold by measurement
(README, "Answer quality"). Run: python scripts/tune_retrieval.py tests/data/questions.yaml
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import msgspec

from bot.core.config import load_settings
from bot.core.engine import Engine
from bot.core.index.build import build_snapshot
from bot.core.knowledge.aliases import load_aliases
from bot.core.knowledge.documents import load_documents
from bot.evaluation.questions import load_questions
from bot.evaluation.runner import evaluate_engine


def _value(field_type: type, text: str) -> object:
    if field_type is bool:
        return text.strip().lower() in ("1", "true", "yes")
    return text if field_type is str else field_type(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--grid", default="variant=okapi,bm25l,bm25plus;k1=0.9,1.2,1.5;b=0.3,0.5,0.75")
    parser.add_argument("--top", type=int, default=15, help="lines to print, best first")
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"),
                        help="settings the grid starts from")
    args = parser.parse_args()
    docs = load_documents(args.knowledge).documents
    aliases = load_aliases(args.knowledge)
    sets = [load_questions(p).items for p in args.questions]
    base = load_settings(args.config).retrieval
    axes = []
    for part in args.grid.split(";"):
        key, values = part.split("=")
        field_type = type(getattr(base, key))
        axes.append([(key, _value(field_type, v)) for v in values.split(",")])
    rows = []
    for combo in itertools.product(*axes):
        settings = msgspec.structs.replace(base, **dict(combo))
        engine = Engine(build_snapshot(docs, aliases, settings))
        reports = [evaluate_engine(engine, items) for items in sets]
        key = tuple(
            (r.hit1.count, r.unanswerable_declined.count - r.unanswerable, -r.false_declines.count)
            for r in reports
        )
        rows.append((key, combo, reports))
    rows.sort(key=lambda r: tuple(-x for k in r[0] for x in k))
    for _, combo, reports in rows[: args.top]:
        label = " ".join(f"{k}={v}" for k, v in combo)
        figures = " | ".join(
            f"hit@1 {r.hit1.rate or 0:.3f} hit@3 {r.hit3.rate or 0:.3f} mrr {r.mrr:.3f} "
            f"declined {r.false_declines.count} off-topic ok {r.unanswerable_declined.count}/{r.unanswerable}"
            for r in reports
        )
        print(f"{label:50s} {figures}")


if __name__ == "__main__":
    main()
