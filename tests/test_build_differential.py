"""The fast build paths against their slow, obvious definitions.

The sentence splitter (one pattern with look-behinds for abbreviations) must split
exactly like the loop it replaced, and the document-at-a-time term counter (white-space
words, a memo of term ids, numpy counting) must count exactly the terms of analysing
each heading and sentence on its own. Both are checked on generated articles and on
random text built from the pieces that make splitting and tokenising hard.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.analysis import Analyzer
from bot.core.analysis_cache import MemoAnalyzer
from bot.core.chunking import Span, chunk_documents, split_sentences
from bot.core.corpus_gen import generate
from bot.core.documents import Document, Paragraph, parse_document
from bot.core.term_counts import ChunkCounts, TermCounter, reference_chunk_terms

# --- the sentence splitter as it was before the single-pattern version ---------------------------

_OLD_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Ý])|\n+")
_OLD_LAST_WORD = re.compile(r"(?<![A-Za-z.])([A-Za-z.]+)\.[\"'”’)\]]*$")
_OLD_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc e.g i.e u.s u.k u.n no nos fig cf approx gen col lt sgt rev "
    "jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp".split()
)


def old_split_sentences(text: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    start = 0

    def append(start: int, end: int) -> None:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append(Span(start, end))

    for match in _OLD_END.finditer(text):
        end = match.end() if match.group().strip() else match.start()
        last_word = _OLD_LAST_WORD.search(text, max(start, end - 24), end)
        if last_word and match.group() != "\n" and "\n" not in match.group():
            word = last_word.group(1).lower()
            if word in _OLD_ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        append(start, end)
        start = end
    append(start, len(text))
    return tuple(spans)


PIECES = ["Mr.", "mr.", "U.S.", "e.g.", "No.", "A.", "J.", "x.", "St.", "etc.", "a.b.c.", "Sept.",
          ".", "!", "?", "…", "..", '"', "”", "’", ")", "]", "“", "(", " ", " ", "  ", "\n", "\n\n", " \n ",
          "\t", "\u00a0", "The", "the", "word", "Belarus", "1991", "37", "000", "À", "é", "Émile", "K",
          "\u212a", "ſt", "-", "—", "'", "%", "9,5", "x"]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_sentence_splitter_matches_the_loop_it_replaced(text: str) -> None:
    assert split_sentences(text) == old_split_sentences(text)


def test_sentence_splitter_matches_on_generated_articles() -> None:
    corpus = generate(300, seed=11, n_questions=1)
    docs = [parse_document(n, d) for n, d in corpus.files.items() if n.endswith(".md")]
    paragraphs = [p.text for doc in docs for p in doc.paragraphs]
    assert len(paragraphs) > 100
    for text in paragraphs:
        assert split_sentences(text) == old_split_sentences(text)


# --- the term counter against analysing each segment ---------------------------------------------

def reference_counts(chunks: list, analyzer: Analyzer) -> list[Counter[str]]:
    return [Counter(words) for words in reference_chunk_terms(chunks, analyzer)]


def counted(counts: ChunkCounts, terms: list[str]) -> list[Counter[str]]:
    out: list[Counter[str]] = []
    pos = 0
    for n_distinct, length in zip(counts.uniq.tolist(), counts.lens.tolist(), strict=True):
        rows = counts.rows[pos:pos + n_distinct].tolist()
        tfs = counts.tfs[pos:pos + n_distinct].tolist()
        pos += n_distinct
        counter = Counter({terms[r]: tf for r, tf in zip(rows, tfs, strict=True)})
        assert sum(counter.values()) == length
        out.append(counter)
    return out


GROUPS = [("Soviet Union", "USSR"), ("Lukashenka", "Lukashenko"), ("security service", "KGB"),
          ("union state", "Soyuznoye gosudarstvo"), ("KGB", "komitet")]


def test_counter_equals_segment_analysis_on_generated_articles() -> None:
    corpus = generate(400, seed=7, n_questions=1)
    docs = [parse_document(n, d) for n, d in corpus.files.items() if n.endswith(".md")]
    plain = Analyzer().with_aliases(GROUPS)
    counter = TermCounter(MemoAnalyzer().with_aliases(GROUPS))
    for _ in range(2):  # the second pass is served from the memo
        for doc in docs:
            chunks = chunk_documents([doc], 3, 1, 900)
            assert counted(counter.count(chunks), counter.terms) == reference_counts(chunks, plain)


SEGMENT_PIECES = ["Soviet", "Union", "soviet union", "USSR", "security", "service", "KGB", "Union State",
                  "37", "000", "37 000", "37\u00a0000", "1,5", "9k", "27th", "%", "Russia-Belarus",
                  "Lukashenko's", "the", "a", "of", "Émile", "e\u0301", "co\u00adoperation", "x", "—",
                  " ", " ", "  ", "\n", ".", ". ", "! ", '"', "(", "'", "’s", "\t"]
paragraph_texts = st.lists(st.sampled_from(SEGMENT_PIECES), min_size=1, max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(paragraph_texts, st.one_of(st.none(), paragraph_texts)), min_size=1, max_size=4))
def test_counter_equals_segment_analysis_on_hard_text(paras: list[tuple[str, str | None]]) -> None:
    paragraphs = tuple(Paragraph(i + 1, text, i + 1, section)
                       for i, (text, section) in enumerate(paras) if text.strip())
    doc = Document("d", "D", None, None, None, None, paragraphs, "d.md", "h")
    chunks = chunk_documents([doc], 2, 1, 20)
    plain = Analyzer().with_aliases(GROUPS)
    counter = TermCounter(MemoAnalyzer().with_aliases(GROUPS))
    assert counted(counter.count(chunks), counter.terms) == reference_counts(chunks, plain)


def test_text_holding_the_separator_takes_the_reference_path() -> None:
    doc = Document("d", "D", None, None, None, None,
                   (Paragraph(1, "Minsk\x00Moscow talks. Second sentence here.", 1, "Heading"),), "d.md", "h")
    chunks = chunk_documents([doc], 1, 0, 900)
    counter = TermCounter(MemoAnalyzer())
    result = counted(counter.count(chunks), counter.terms)
    assert result == reference_counts(chunks, Analyzer())
    assert result[0]["minsk"] == 1 and result[0]["moscow"] == 1


def test_vocabulary_ids_are_stable_across_documents() -> None:
    corpus = generate(60, seed=2, n_questions=1)
    docs = [parse_document(n, d) for n, d in corpus.files.items() if n.endswith(".md")]
    counter = TermCounter(MemoAnalyzer())
    first = counter.count(chunk_documents(docs[:1], 3, 1, 900))
    terms_then = list(counter.terms)
    for doc in docs[1:]:
        counter.count(chunk_documents([doc], 3, 1, 900))
    assert counter.terms[:len(terms_then)] == terms_then
    assert np.all(first.rows < len(terms_then))
