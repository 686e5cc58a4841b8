"""Each figure and each kind of miss, on hand-made answers over a knowledge folder written here.

The expected figures are worked out by hand from the definitions in
bot/evaluation/metrics.py, question by question (see the comments), not copied from a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answer import Answer, Citation, Outcome, Passage
from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.knowledge.documents import Document, load_documents
from bot.evaluation.metrics import MissKind, Rate, Response, Retrieved, answer_cut_off, miss_kind, score
from bot.evaluation.questions import EvalItem
from bot.evaluation.runner import engine_response, evaluate_engine, paragraph_texts
from bot.evaluation.units import holds, sentence_windows

RIVERS = """---
title: Rivers
---

The Danube rises in the Black Forest. It flows east through ten countries.
It reaches the Black Sea in Romania.

The Rhine rises in the Swiss Alps. It forms part of the border between Germany and France.
Barges carry coal and grain on the Rhine.

The Thames flows through London. Its tidal stretch reaches Teddington Lock. The river froze in 1683.
"""

LAKES = """---
title: Lakes
---

Lake Baikal is the deepest lake. It holds a fifth of the world's fresh surface water.
"""


@pytest.fixture
def documents(tmp_path: Path) -> tuple[Document, ...]:
    (tmp_path / "rivers.md").write_text(RIVERS, encoding="utf-8")
    (tmp_path / "lakes.md").write_text(LAKES, encoding="utf-8")
    docs = load_documents(tmp_path).documents
    assert sorted((d.doc_id, len(d.paragraphs)) for d in docs) == [("lakes", 1), ("rivers", 3)]
    return docs


def passage(doc_id: str, paragraph: int, quote: str, chunk_text: str | None = None) -> Passage:
    citation = Citation(doc_id, doc_id.title(), None, None, (paragraph,), None, None)
    return Passage(f"{doc_id}#p{paragraph}", 1.0, quote, (), chunk_text or quote, citation, (), 0.5)


def answered(*passages: Passage) -> Answer:
    return Answer("q", Outcome.ANSWERED, passages)


THAMES_1 = "The Thames flows through London."
DECLINED = Answer("q", Outcome.NO_MATCH, (), "Nothing in the knowledge base answers this.")


def item(answers: tuple[str, ...] = (), doc: str | None = "rivers", para: int | None = 1,
         plausible: tuple[str, ...] = ()) -> EvalItem:
    return EvalItem("q", answers, bool(answers), doc, para, plausible)


def test_every_figure_on_hand_made_answers(documents: tuple[Document, ...]) -> None:
    paragraphs = paragraph_texts(documents)
    cases = [
        # q1: the top quote holds the answer: hit@1, hit@3, para@1, doc@1.
        (item(("Black Forest",)), answered(passage("rivers", 1, "The Danube rises in the Black Forest."))),
        # q2: first quote from ¶3, the answer second: hit@3 at rank 2 (MRR 1/2); doc right, ¶ wrong.
        (item(("Swiss Alps",), para=2), answered(passage("rivers", 3, "The Thames flows through London."),
                                                 passage("rivers", 2, "The Rhine rises in the Swiss Alps."))),
        # q3: right ¶ (the chunk text lacks the answer: para@1 must look the paragraph up),
        # but the quote is the first sentence and the answer is in the second.
        (item(("Teddington Lock",), para=3),
         answered(passage("rivers", 3, THAMES_1, THAMES_1))),
        # q4: right ¶, the quote stops inside the sentence that holds the answer.
        (item(("coal and grain",), para=2),
         answered(passage("rivers", 2, "The Rhine rises in the Swiss Alps. It forms part of the border "
                                       "between Germany and France. Barges carry…"))),
        # q5: written on lakes ¶1, answered from rivers: no doc@1, no para@1.
        (item(("fifth of the world",), doc="lakes"), answered(passage("rivers", 1, "It flows east."))),
        # q6: declined: a false decline, no doc@1, no para@1.
        (item(("Romania",)), DECLINED),
        # u1: unanswerable, answered with a quote holding a plausible answer: fooled.
        (item(plausible=("Romania",)),
         answered(passage("rivers", 1, "It reaches the Black Sea in Romania."))),
        # u2: unanswerable, declined: counts as declined, not fooled.
        (item(plausible=("1683",), para=3), DECLINED),
        # u3: unanswerable without plausible answers, answered: not in fooled's total.
        (item(), answered(passage("rivers", 1, "It flows east."))),
    ]
    items = [c[0] for c in cases]
    responses = [engine_response(answer, paragraphs, 0.0) for _, answer in cases]
    f = score(items, responses)
    assert (f.questions, f.answerable, f.unanswerable) == (9, 6, 3)
    assert f.hit1 == Rate(1, 6)  # q1
    assert f.hit3 == Rate(2, 6)  # q1, q2
    assert f.mrr == pytest.approx((1 + 1 / 2) / 6)
    assert f.para1 == Rate(3, 6)  # q1, q3, q4
    assert f.doc1 == Rate(4, 6)  # q1-q4
    assert f.false_declines == Rate(1, 6)  # q6
    assert f.unanswerable_declined == Rate(1, 3)  # u2
    assert f.fooled == Rate(1, 2)  # u1 (u3 has no plausible answers)
    assert [(m.kind, m.rank) for m in f.misses] == [
        (MissKind.OTHER_PARAGRAPH, 2), (MissKind.OTHER_SENTENCE, None), (MissKind.CUT_OFF, None),
        (MissKind.WRONG_DOCUMENT, None), (MissKind.DECLINED, None),
        (MissKind.SHOULD_DECLINE, None), (MissKind.SHOULD_DECLINE, None)]
    assert f.summary_lines() == [
        "answerable questions: 6", "hit@1: 0.167 (1/6)", "hit@3: 0.333 (2/6)", "MRR: 0.250",
        "answerable but declined: 1", "correct declines: 1/3"]


def test_figures_without_doc_para_or_plausible_are_not_applicable(documents: tuple[Document, ...]) -> None:
    paragraphs = paragraph_texts(documents)
    items = [item(("Black Forest",), doc=None, para=None), item(doc=None, para=None)]
    f = score(items, [engine_response(answered(passage("rivers", 1, "The Danube rises in the Black Forest.")),
                                      paragraphs, 0.0), engine_response(DECLINED, paragraphs, 0.0)])
    assert f.hit1 == Rate(1, 1) and f.unanswerable_declined == Rate(1, 1)
    for rate in (f.para1, f.doc1, f.fooled):
        assert rate.rate is None and str(rate) == "n/a" and rate.to_json() is None
    assert str(f.hit1) == "1.000 (1/1)" and f.hit1.to_json() == {"count": 1, "total": 1, "rate": 1.0}


def test_a_miss_without_doc_is_judged_by_its_paragraph_only(documents: tuple[Document, ...]) -> None:
    response = engine_response(answered(passage("lakes", 1, "Lake Baikal is the deepest lake.")),
                               paragraph_texts(documents), 0.0)
    assert miss_kind(item(("fresh surface water",), doc=None), response) is MissKind.OTHER_SENTENCE
    assert miss_kind(item(("fresh surface water",), doc="rivers"), response) is MissKind.WRONG_DOCUMENT
    assert miss_kind(item(("Danube",), doc=None), response) is MissKind.OTHER_PARAGRAPH


def test_time_per_question_median_and_mean() -> None:
    unit = Retrieved("x", "d", 1, "x")
    items = [item(("x",))] * 3
    f = score(items, [Response(True, (unit,), s) for s in (0.001, 0.002, 0.006)])
    assert f.ms_median == pytest.approx(2.0) and f.ms_mean == pytest.approx(3.0)
    with pytest.raises(ValueError, match="3 items but 2 responses"):
        score(items, [Response(True, (unit,))] * 2)


PARAGRAPH = ("The first sentence names the  river.\nThe second sentence is long and holds the answer "
             "near its end, past the cut. The third one holds another answer.")


@pytest.mark.parametrize(("quote", "answer", "expected"), [
    # the second sentence, trimmed: the answer sits in the part that was cut
    ("…second sentence is long and holds…", "past the cut", True),
    # the first sentence and the start of the second, continued with …
    ("The first sentence names the river. The second sentence…", "near its end", True),
    # whole first sentence; the answer is in the third, which the quote does not touch
    ("The first sentence names the river.", "another answer", False),
    # an answer running past the quote's edge (case and white space folded)
    ("the first sentence names the RIVER.", "the river. The second", True),
    # a quote that is not from this paragraph says nothing about cutting
    ("Something else entirely.", "past the cut", False),
])
def test_answer_cut_off(quote: str, answer: str, expected: bool) -> None:
    assert answer_cut_off(quote, PARAGRAPH, [answer]) is expected


def test_matching_folds_case_and_white_space() -> None:
    assert holds("The  Black\nForest", ["black forest"])
    assert not holds("The Black Sea", ["black forest"])
    assert not holds("anything", ["   "])  # an empty phrase would match every text


def test_quote_windows_are_at_most_three_sentences_and_400_characters() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(5))  # 5 × 27 characters
    assert sentence_windows(text) == [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (2, 4),
                                      (3, 3), (3, 4), (4, 4)]
    assert sentence_windows(text, max_chars=55) == [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 3), (3, 3),
                                                    (3, 4), (4, 4)]
    long = "A" * 500 + ". Short one."
    assert sentence_windows(long) == [(0, 0), (1, 1)]  # a long sentence alone is still a window


def test_a_declined_miss_names_the_words_the_knowledge_base_never_uses(tmp_path: Path) -> None:
    """What a moderator can add to aliases.yaml: the engine's declines carry their unused words
    (in the report line and the JSON); an answered miss carries none."""
    (tmp_path / "rivers.md").write_text(RIVERS, encoding="utf-8")
    engine = Engine.from_folder(tmp_path, RetrievalSettings())
    busy = "Is the Thames busy with tourists nowadays, tho?"
    items = [EvalItem(busy, ("flows through London",), True, None, None),
             EvalItem("Where does the Rhine rise?", ("Black Sea",), True, None, None)]
    declined, answered_elsewhere = evaluate_engine(engine, items).misses
    words = ("busy", "tourists", "nowadays", "tho")
    assert declined.kind is MissKind.DECLINED and declined.unused == words
    assert declined.describe().endswith("never used by the knowledge base: " + ", ".join(words))
    assert declined.to_json()["unused_words"] == list(words)
    assert answered_elsewhere.kind is not MissKind.DECLINED and answered_elsewhere.unused == ()
