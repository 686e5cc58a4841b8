"""Plain BM25 baselines: their own tokenizer, their units, exact rank_bm25 scores, bm25s optional."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.knowledge.documents import Document, load_documents
from bot.evaluation import baselines
from bot.evaluation.baselines import (
    OkapiScorer,
    PlainTokenizer,
    RankBM25Scorer,
    build_baselines,
    build_units,
    top_indices,
)
from bot.evaluation.questions import load_questions

REPO = Path(__file__).resolve().parent.parent
SQUAD = REPO / "tests" / "data" / "squad-dev"

KNOWLEDGE = {
    "rivers.md": "---\ntitle: Rivers\n---\n\n"
                 "The Danube rises in the Black Forest. It flows east through ten countries.\n\n"
                 "The Rhine rises in the Swiss Alps. Barges carry coal and grain on the Rhine.\n\n"
                 "The Thames flows through London. Its tidal stretch reaches Teddington Lock.\n",
    "lakes.md": "---\ntitle: Lakes\n---\n\nLake Baikal is the deepest lake in Siberia.\n",
}


@pytest.fixture
def documents(tmp_path: Path) -> tuple[Document, ...]:
    for name, text in KNOWLEDGE.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return load_documents(tmp_path).documents


def test_plain_tokenizer_lowercases_drops_stopwords_and_stems() -> None:
    tokens = PlainTokenizer()
    assert tokens("What were THE rivers flowing through, in 1922?") == ["river", "flow", "1922"]
    assert tokens("Barges carried coal") == ["barg", "carri", "coal"]
    assert tokens("the of and") == []


def test_baselines_use_none_of_the_bots_text_analysis() -> None:
    tree = ast.parse(Path(baselines.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    bot_modules = {m for m in imported if m and m.startswith("bot.core")}
    assert bot_modules == {"bot.core.knowledge.documents"}  # documents only: no analyzer, aliases or settings


def test_units_are_paragraphs_sentences_and_quote_windows(documents: tuple[Document, ...]) -> None:
    paragraphs = build_units(documents, "paragraph")
    sentences = build_units(documents, "sentence")
    windows = build_units(documents, "window")
    assert len(paragraphs) == 4 and len(sentences) == 7
    # each two-sentence paragraph gives both sentences and the pair; the one-sentence one itself
    assert len(windows) == 3 * 3 + 1
    rhine = [u.text for u in windows if u.doc_id == "rivers" and u.paragraph == 2]
    assert rhine == ["The Rhine rises in the Swiss Alps.",
                     "The Rhine rises in the Swiss Alps. Barges carry coal and grain on the Rhine.",
                     "Barges carry coal and grain on the Rhine."]
    assert all(u.text in u.paragraph_text for u in windows)


@pytest.mark.parametrize("library", ["rank_bm25", "bm25s"])
def test_each_baseline_ranks_the_obvious_unit_first(documents: tuple[Document, ...], library: str) -> None:
    if library == "bm25s":
        pytest.importorskip("bm25s")
    built, _ = build_baselines(documents)
    mine = {b.unit: b for b in built if b.library == library}
    assert set(mine) == {"paragraph", "sentence", "window"}
    top = mine["paragraph"].respond("Which mountains does the Rhine rise in?").top
    assert (top[0].doc_id, top[0].paragraph) == ("rivers", 2) and len(top) == 3
    top = mine["sentence"].respond("What do barges carry?").top
    assert top[0].text == "Barges carry coal and grain on the Rhine."
    response = mine["window"].respond("the deepest lake")
    assert response.answered and response.top[0].doc_id == "lakes"
    assert mine["window"].respond("the of and").answered  # never declines, even with no words


def test_without_bm25s_its_rows_are_skipped_with_a_note(documents: tuple[Document, ...],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baselines, "bm25s_available", lambda: False)
    built, skipped = build_baselines(documents)
    assert {b.library for b in built} == {"rank_bm25"} and len(built) == 3
    assert [name for name, _ in skipped] == ["bm25s"] and "not installed" in skipped[0][1]


def test_top_indices_break_ties_by_position() -> None:
    assert top_indices(np.array([1.0, 3.0, 3.0, 0.0, 3.0, 3.0])) == [1, 2, 4]
    assert top_indices(np.zeros(5)) == [0, 1, 2]
    assert top_indices(np.array([0.5, 2.0])) == [1, 0]
    assert top_indices(np.array([])) == []


WORDS = st.sampled_from(["a", "b", "c", "d", "e", "f", "g"])


@settings(max_examples=200, deadline=None)
@given(corpus=st.lists(st.lists(WORDS, max_size=12), min_size=1, max_size=15),
       query=st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "unknown"]), max_size=6))
def test_numpy_okapi_equals_rank_bm25_exactly(corpus: list[list[str]], query: list[str]) -> None:
    # Small vocabularies give terms in more than half of the units (negative IDF, floored),
    # repeated query terms, empty units and unknown words: every branch of the formula.
    if not any(corpus):
        return  # rank_bm25 divides by zero on a corpus without a single token
    assert np.array_equal(OkapiScorer(corpus).scores(query), RankBM25Scorer(corpus).scores(query))


def test_numpy_okapi_equals_rank_bm25_on_real_sentences() -> None:
    documents = load_documents(SQUAD / "kb").documents
    tokens = PlainTokenizer()
    corpus = [tokens(u.text) for u in build_units(documents, "sentence")]
    fast, reference = OkapiScorer(corpus), RankBM25Scorer(corpus)
    questions = load_questions(SQUAD / "questions.jsonl").items[::60]
    assert len(questions) > 40
    for item in questions:
        query = tokens(item.question)
        assert np.array_equal(fast.scores(query), reference.scores(query)), item.question
