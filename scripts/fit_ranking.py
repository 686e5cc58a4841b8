"""Fit the quote ranking's weights (``retrieval.ranking``) on development question sets.

For every answerable question, every candidate window the engine ranks is a row of features
(bot/core/answering/ranking.py computes them, exactly as when answering) labelled by whether the
quote it would become holds an answer. A conditional logit (softmax over a question's windows,
maximising the probability of the windows that hold the answer; L2-regularised, Adam) gives the
weights. Everything is measured end to end with the engine afterwards.

    python scripts/fit_ranking.py                 # fit on the default sets, print figures
    python scripts/fit_ranking.py --folds         # also: SQuAD articles in two folds, held-out figures
    python scripts/fit_ranking.py --write         # write the fitted weights as the defaults

Default sets: tests/data/squad-dev (SQuAD 2.0, 8 articles) and the sample article's question
sets but the ninth (``HELD_OUT``: written blind, never fitted on). SQuAD's questions are also
fitted on a larger copy of its folder (the sample article and 400 generated paragraphs added,
as ``scripts/add_distractors.py`` makes it; ``--no-larger`` leaves it out): a community's
knowledge base holds more than the documents a question is about.
A set used here is no longer blind: say so wherever its figures are reported.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.answering.ranking import FEATURES  # noqa: E402
from bot.core.config import RankingWeights, RetrievalSettings, load_settings  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.index.build import load_snapshot  # noqa: E402
from bot.evaluation.questions import EvalItem, load_questions  # noqa: E402
from bot.evaluation.runner import evaluate_engine  # noqa: E402
from bot.evaluation.units import holds  # noqa: E402
from scripts.add_distractors import make_larger  # noqa: E402

SQUAD = (ROOT / "tests/data/squad-dev/questions.jsonl", ROOT / "tests/data/squad-dev/kb")
# Sets kept out of every fit, so that their figures stay measurements of unseen questions.
HELD_OUT = {"questions_ninth_set.yaml"}
SAMPLE = [(p, ROOT / "knowledge") for p in sorted((ROOT / "tests/data").glob("questions*.yaml"))
          if p.name not in HELD_OUT]
CONFIG = ROOT / "bot/core/config.py"


@dataclass
class Group:
    """One question's candidate windows: features, labels, and where the question came from."""

    item: EvalItem
    source: str
    features: np.ndarray
    labels: np.ndarray
    allowed: np.ndarray  # windows the engine may quote at all (e.g. a number for "how many")


def collect(questions: Path, knowledge: Path, settings: RetrievalSettings) -> list[Group]:
    engine = Engine(load_snapshot(knowledge, settings))
    groups = []
    for item in load_questions(questions).items:
        if not item.answerable:
            continue
        query, ranked = engine.windows(item.question)
        if ranked is None or not len(ranked.scores):
            continue
        labels = np.zeros(len(ranked.scores))
        for w in range(len(ranked.scores)):
            passage = engine.window_passage(ranked, w, query)
            labels[w] = passage is not None and holds(passage.quote, item.answers)
        groups.append(Group(item, questions.name, ranked.windows.features, labels,
                            ranked.scores > -np.inf))
    return groups


def fit(groups: list[Group], l2: float = 1e-3, steps: int = 600, lr: float = 0.05,
        weights: dict[str, float] | None = None) -> np.ndarray:
    """Weights maximising the (weighted) sum over questions of log P(an answer window) under a
    softmax over the question's windows."""
    groups = [g for g in groups if g.labels.any()]
    x = np.vstack([g.features for g in groups])
    qw = np.array([(weights or {}).get(grp.source, 1.0) for grp in groups])
    y = np.concatenate([g.labels for g in groups])
    g = np.concatenate([np.full(len(grp.labels), i) for i, grp in enumerate(groups)])
    n = len(groups)
    w = np.zeros(x.shape[1])
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, steps + 1):
        z = x @ w
        zmax = np.full(n, -np.inf)
        np.maximum.at(zmax, g, z)
        e = np.exp(z - zmax[g])
        p_all = e / np.bincount(g, e, n)[g]
        p_pos = e * y / np.bincount(g, e * y, n)[g]
        grad = x.T @ ((p_all - p_pos) * qw[g]) / qw.sum() + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def with_weights(settings: RetrievalSettings, w: np.ndarray) -> RetrievalSettings:
    ranking = msgspec.structs.replace(settings.ranking, **{f: round(float(x), 3) for f, x in zip(FEATURES, w,
                                                                                                    strict=True)})
    return msgspec.structs.replace(settings, ranking=ranking)


def report(settings: RetrievalSettings, sets: list[tuple[Path, Path]], only_docs: set[str] | None = None,
           label: str = "") -> None:
    for questions, knowledge in sets:
        engine = Engine(load_snapshot(knowledge, settings))
        items = load_questions(questions).items
        if only_docs is not None:
            items = [i for i in items if i.doc in only_docs]
        f = evaluate_engine(engine, items)
        print(f"  {label}{questions.name:30} hit@1 {f.hit1.rate:.3f}  hit@3 {f.hit3.rate:.3f}  "
              f"para@1 {f.para1}  declined {f.false_declines.count}")


def write_defaults(w: np.ndarray) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    for name, value in zip(FEATURES, w, strict=True):
        text, n = re.subn(rf"(\n    {name}: Annotated\[float, _m\((?:[^\n]*\n)*?[^\n]*\)\]) = -?[\d.]+",
                          rf"\g<1> = {float(value):.3f}", text, count=1)
        assert n == 1, name
    CONFIG.write_text(text, encoding="utf-8")
    print(f"wrote the fitted weights to {CONFIG}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", action="store_true",
                        help="also fit on half of SQuAD's articles, test on the rest")
    parser.add_argument("--write", action="store_true", help="write the weights as the defaults")
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--sample-weight", type=float, default=1.0,
                        help="weight of each sample-article question beside a SQuAD one")
    parser.add_argument("--no-larger", action="store_true",
                        help="fit SQuAD's questions on its own folder only, not also on a larger copy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        larger = None if args.no_larger else Path(tmp) / "larger"
        if larger is not None:
            make_larger(SQUAD[1], larger, also=[ROOT / "knowledge/russia-belarus-relations.md"])
        run(args, larger)


def run(args: argparse.Namespace, larger: Path | None) -> None:
    base = load_settings(ROOT / "config/config.yaml").retrieval
    base = msgspec.structs.replace(base, ranking=RankingWeights())
    squad = collect(*SQUAD, base)
    if larger is not None:
        squad += collect(SQUAD[0], larger, base)
    sample = [grp for q, k in SAMPLE for grp in collect(q, k, base)]
    print(f"questions with an answer among the candidates: SQuAD {len(squad)}, sample article {len(sample)}")
    sw = {q.name: args.sample_weight for q, _ in SAMPLE}
    if args.folds:
        docs = sorted({g.item.doc for g in squad if g.item.doc})
        for k, held in enumerate([set(docs[0::2]), set(docs[1::2])]):
            w = fit([g for g in squad if g.item.doc not in held] + sample, args.l2, weights=sw)
            print(f"fold {k}: fitted without {sorted(held)}")
            report(with_weights(base, w), [SQUAD], held, "held-out ")
    w = fit(squad + sample, args.l2, weights=sw)
    print("weights:", ", ".join(f"{f} {x:.3f}" for f, x in zip(FEATURES, w, strict=True)))
    report(with_weights(base, w), [SQUAD, *SAMPLE], label="fitted on ")
    if larger is not None:
        report(with_weights(base, w), [(SQUAD[0], larger)], label="fitted on, larger folder: ")
    if args.write:
        write_defaults(w)


if __name__ == "__main__":
    main()
