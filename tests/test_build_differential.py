"""The index a build makes against its definition, and an incremental build against a fresh one.

Definition: a chunk is indexed as the analyzer's terms of its paragraph's section heading and of
each of its sentences, each analysed on its own; BM25 over those term lists is
``BM25Index.from_corpus``. The build gets there another way (a batch of documents analysed in one
call, numpy counting, postings carried over from the previous snapshot), so these tests compare
the two on generated articles with aliases (phrases included) and on hard text.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus_gen import generate
from bot.core.config import RetrievalSettings
from bot.core.index.bm25 import BM25Index, BM25Params
from bot.core.index.build import Snapshot, build_snapshot
from bot.core.knowledge.documents import Document, Paragraph, parse_document
from bot.core.knowledge.sentences import split_sentences
from bot.core.text.analyzer import Analyzer

GROUPS = [("Soviet Union", "USSR"), ("Lukashenka", "Lukashenko"), ("security service", "KGB"),
          ("union state", "Soyuznoye gosudarstvo"), ("KGB", "komitet")]


def definition_corpus(snap: Snapshot, analyzer: Analyzer) -> list[list[str]]:
    """Each chunk's terms, heading and sentences analysed one by one."""
    table = snap.chunks
    out = []
    for i in range(len(table)):
        p = int(table.chunk_para[i])
        paragraph = table.paragraph(p)
        first, last = table.chunk_sentences(i)
        spans = table.sentence_spans(p)[first:last + 1]
        terms = analyzer.terms(paragraph.section) if paragraph.section else []
        for a, b in spans:
            terms += analyzer.terms(paragraph.text[a:b])
        out.append(terms)
    return out


def assert_paragraph_lengths(snap: Snapshot, analyzer: Analyzer) -> None:
    """Each paragraph's indexed length (for BM25 over whole paragraphs) is its terms' count."""
    table = snap.chunks
    for p in range(len(table.para_len)):
        paragraph = table.paragraph(p)
        terms = len(analyzer.terms(paragraph.section)) if paragraph.section else 0
        terms += sum(len(analyzer.terms(paragraph.text[a:b])) for a, b in table.sentence_spans(p))
        assert table.para_len[p] == terms, (p, paragraph)


def assert_same_index(snap: Snapshot, reference: BM25Index, rng: np.random.Generator) -> None:
    assert snap.index.terms == reference.terms
    assert np.array_equal(snap.index.doc_len, reference.doc_len)
    for name in ("indptr", "gap_ptr", "gaps", "tf_at", "tf_val"):  # the same postings, encoded the same
        assert np.array_equal(getattr(snap.index.arrays, name), getattr(reference.arrays, name)), name
    terms = reference.terms
    for _ in range(30):
        if not terms:
            break
        query = [terms[int(i)] for i in rng.integers(0, len(terms), size=3)]
        assert np.max(np.abs(snap.index.scores(query) - reference.scores(query)), initial=0) <= 1e-9


def documents(n_chunks: int, seed: int) -> list[Document]:
    corpus = generate(n_chunks, seed=seed, n_questions=1)
    return [parse_document(n, d) for n, d in sorted(corpus.files.items()) if n.endswith(".md")]


def test_built_index_equals_the_definition_on_generated_articles() -> None:
    settings_ = RetrievalSettings()
    text = ("---\ntitle: A\n---\n\n# The Soviet Union\n\nThe USSR and the security service (KGB) "
            "met Lukashenko. The Soviet Union fell.\n")
    extra = parse_document("aliases-here.md", text.encode())
    snap = build_snapshot([*documents(400, 7), extra], GROUPS, settings_)
    analyzer = Analyzer().with_aliases(GROUPS)
    reference = BM25Index.from_corpus(definition_corpus(snap, analyzer), BM25Params.from_settings(settings_))
    assert_same_index(snap, reference, np.random.default_rng(0))
    assert_paragraph_lengths(snap, analyzer)
    assert any("_" in t for t in snap.index.terms)  # the alias groups were applied


SEGMENT_PIECES = ["Soviet", "Union", "soviet union", "USSR", "security", "service", "KGB", "Union State",
                  "37", "000", "37 000", "37\u00a0000", "1,5", "9k", "27th", "%", "Russia-Belarus",
                  "Lukashenko's", "the", "a", "of", "Émile", "e\u0301", "co\u00adoperation", "x", "—",
                  " ", " ", "  ", "\n", ".", ". ", "! ", '"', "(", "'", "’s", "\t", "A" * 120]
paragraph_texts = st.lists(st.sampled_from(SEGMENT_PIECES), min_size=1, max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(paragraph_texts, st.one_of(st.none(), paragraph_texts)),
                         min_size=1, max_size=4), min_size=1, max_size=3))
def test_built_index_equals_the_definition_on_hard_text(docs: list[list[tuple[str, str | None]]]) -> None:
    built = []
    for d, paras in enumerate(docs):
        paragraphs = tuple(Paragraph(i + 1, text.strip(), i + 1, section)
                           for i, (text, section) in enumerate(p for p in paras if p[0].strip()))
        if paragraphs:
            built.append(Document(f"d{d}", "D", None, None, None, None, paragraphs, f"d{d}.md", f"h{d}"))
    settings_ = RetrievalSettings(chunk_sentences=2, chunk_overlap=1, chunk_max_chars=20)
    snap = build_snapshot(built, GROUPS, settings_)
    analyzer = Analyzer().with_aliases(GROUPS)
    reference = BM25Index.from_corpus(definition_corpus(snap, analyzer), BM25Params.from_settings(settings_))
    assert_same_index(snap, reference, np.random.default_rng(1))
    assert_paragraph_lengths(snap, analyzer)


def _pieces(flat: list[str]) -> list[list[str]]:
    pieces: list[list[str]] = [[]]
    for term in flat:
        if term == "\x00":
            pieces.append([])
        else:
            pieces[-1].append(term)
    return pieces


def test_joined_terms_are_each_segments_terms_between_breaks() -> None:
    analyzer = Analyzer().with_aliases(GROUPS)
    segments = ["The Soviet", "Union fell", "37 000 people", "", "USSR and the KGB", "security service"]
    pieces = _pieces(analyzer.joined_terms(segments))
    assert pieces == [analyzer.terms(s) for s in segments]
    assert "soviet_union" not in pieces[0] + pieces[1]  # no phrase across a segment break


# Segments with and without space-separated thousands ("37 000", tokenised on their own) in any
# order: first, last, side by side, alone.
_SEGMENT = st.lists(st.sampled_from(["37 000", "4 5", "Soviet", "Union", "the", "USSR 2", "9\u00a0000",
                                     "9\n000", "“quoted”", "Su-25", "", "x"]), max_size=6).map(" ".join)


@given(st.lists(_SEGMENT, min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_joined_terms_equal_each_segment_analysed_alone(segments: list[str]) -> None:
    analyzer = Analyzer().with_aliases(GROUPS)
    assert _pieces(analyzer.joined_terms(segments)) == [analyzer.terms(s) for s in segments]


def test_an_incremental_build_equals_a_fresh_one() -> None:
    settings_ = RetrievalSettings()
    docs = documents(600, 5)
    first = build_snapshot(docs, GROUPS, settings_)
    changed = parse_document(docs[1].path, (b"---\ntitle: Changed\n---\n\nThe Zorbulon treaty of 1922 was "
                                            b"signed by the Soviet Union. A second sentence.\n"))
    added = parse_document("zz-new.md", b"---\ntitle: New\n---\n\nA brand new paragraph on Quexville.\n")
    second_docs = [docs[0], changed, *docs[3:], added]
    second = build_snapshot(second_docs, GROUPS, settings_, previous=first)
    fresh = build_snapshot(second_docs, GROUPS, settings_)
    assert [second.chunks.chunk_id(i) for i in range(len(second.chunks))] == \
        [fresh.chunks.chunk_id(i) for i in range(len(fresh.chunks))]
    for name in ("doc_para", "para_sent", "sent_start", "sent_end", "doc_chunk", "chunk_para", "chunk_first",
                 "chunk_count", "chunk_window", "para_len"):
        assert np.array_equal(getattr(second.chunks, name), getattr(fresh.chunks, name)), name
    assert_same_index(second, fresh.index, np.random.default_rng(2))
    for name in ("indptr", "gap_ptr", "gaps", "tf_at", "tf_val", "doc_len"):
        assert np.array_equal(getattr(second.index.arrays, name), getattr(fresh.index.arrays, name)), name
    # Terms only the removed documents had are gone from the vocabulary: nothing stale is kept.
    assert set(second.index.terms) == set(fresh.index.terms)
    # Other aliases: nothing can be carried over, and the result is still a fresh build's.
    other = build_snapshot(second_docs, [("Zorbulon", "Zorb")], settings_, previous=second)
    assert other.index.terms == build_snapshot(second_docs, [("Zorbulon", "Zorb")], settings_).index.terms


def test_fifty_edits_of_one_file_keep_the_vocabulary_as_small_as_the_text() -> None:
    settings_ = RetrievalSettings()
    snap = None
    for i in range(50):
        words = " ".join(f"word{i}x{j}" for j in range(200))
        doc = parse_document("one.md", f"---\ntitle: One\n---\n\n{words}.\n".encode())
        snap = build_snapshot([doc], (), settings_, previous=snap)
    assert snap is not None and len(snap.index.terms) == 200  # this version's words, nothing older


SPLIT_PIECES = ["Mr.", "U.S.", "e.g.", "No.", "A.", "St.", "etc.", ".", "!", "?", "…", '"', "”", ")",
                "(", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "The", "word", "Belarus", "1991", "À", "é",
                "- ", "1. ", "|", "—"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(SPLIT_PIECES), max_size=40).map("".join))
def test_sentences_tile_the_text(text: str) -> None:
    """Sentences are in order, never overlap, start and end on non-space, and only white space
    lies between them: a quote made of whole sentences is always verbatim text."""
    starts, ends = split_sentences(text)
    assert len(starts) == len(ends)
    bounds = [0, *[x for pair in zip(starts, ends, strict=True) for x in pair], len(text)]
    assert bounds == sorted(bounds)
    for a, b in zip(starts, ends, strict=True):
        assert b > a and not text[a].isspace() and not text[b - 1].isspace()
    gaps = [text[e:s] for e, s in zip([0, *ends], [*starts, len(text)], strict=True)]
    assert all(not g.strip() for g in gaps)


def test_both_orderings_of_the_merge_give_term_major_postings() -> None:
    """The packed in-place sort and the argsort fallback (a tf that needs more than 16 bits)
    agree with a plain lexicographic sort by (term, chunk)."""
    from bot.core.index.bm25 import _term_major

    rng = np.random.default_rng(5)
    pairs = rng.choice(400 * 3000, size=20_000, replace=False)  # unique (term, chunk) pairs
    terms, chunks = (pairs // 3000).astype(np.int32), (pairs % 3000).astype(np.int32)
    expected = np.lexsort((chunks, terms))
    for top in (9, 1 << 17):
        tfs = rng.integers(1, top, size=len(pairs)).astype(np.int32)
        got_chunks, got_tfs = _term_major(terms.copy(), chunks.copy(), tfs.copy(), 3000)
        assert np.array_equal(got_chunks, chunks[expected])
        assert np.array_equal(got_tfs, tfs[expected])
