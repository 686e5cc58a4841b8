"""Text analysis: the forms people write must meet the forms the articles use."""

from __future__ import annotations

import weakref

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.config import RetrievalSettings
from bot.core.knowledge.chunking import ChunkTable, chunk_document
from bot.core.knowledge.documents import Document, Paragraph
from bot.core.knowledge.sentences import split_sentences
from bot.core.text.analyzer import Analyzer

A = Analyzer()


@pytest.mark.parametrize(
    ("article", "question"),
    [
        ("at least 37 000 people", "37,000"),
        ("at least 37 000 people", "37000"),
        ("at least 37\u00a0000 people", "37 000"),
        ("at least 37\n000 people", "37 000"),  # a hard-wrapped line in a Markdown file
        ("only 9,5 million inhabitants", "9.5"),
        ("around 9000 Russian troops", "9000"),
        ("around 9000 Russian troops", "9k"),
        ("Sukhoi Su-25 aircraft", "Su-25"),
        ("Sukhoi Su-25 aircraft", "su25"),
        ("Iskander-M operational", "Iskander"),
        ("Iskander-M operational", "iskander-m"),
        ("in Belovezhskaya-Puscha", "Belovezhskaya Puscha"),
        ("vis-à-vis NATO", "vis-a-vis"),
        ("Russia’s relation", "Russia's"),
        ("on February 27th", "27"),
        ("90% of Belarusians", "90 percent"),
        ("Bela\u200brus", "Belarus"),
        ("the protests", "protesting"),
        ("had lost the election", "lose"),
    ],
)
def test_question_forms_find_article_forms(article: str, question: str) -> None:
    assert set(A.terms(question)) <= set(A.terms(article)), (A.terms(question), A.terms(article))


def test_stopwords_and_question_fillers_are_dropped() -> None:
    assert A.terms("What is it that the article says about?") == []


def test_a_contraction_typed_without_its_apostrophe_is_the_stopword_it_is() -> None:
    typed = "im sure theyre right that it doesnt sync and i cant log in"
    assert A.terms(typed) == A.terms("I'm sure they're right that it doesn't sync and I can't log in")
    assert A.terms(typed) == A.terms("sure right sync log")
    assert len(A.terms("ill wont shell")) == 3  # words too ("ill effects"): kept


def test_offsets_point_into_the_original_text() -> None:
    text = "Lukashenka’s “neutral” Su-25 and 37 000 people"
    for token in A.tokens(text):
        assert text[token.start:token.end].strip()
    spans = {text[t.start:t.end] for t in A.tokens(text)}
    assert {"Lukashenka’s", "neutral", "Su-25", "37 000", "people"} <= spans


def test_generic_terms_are_the_everyday_words_as_written() -> None:
    """Everyday words count less in a question; a hyphenated word's parts are not everyday words
    ("Russian-led"), and an alias maps an everyday word's term like any other."""
    question = "Who wants the best time for the Russian-led bloc and Lukashenka?"
    tokens, generic = A.tokens_and_generic(question)
    assert (tokens, generic) == (A.tokens(question), A.generic_terms(question))
    assert generic == set(A.terms("wants best time"))
    assert set(A.terms("Russian led bloc Lukashenka")).isdisjoint(generic)
    aliased = A.with_aliases([["period", "time"]])
    assert aliased.generic_terms("the best time") == set(aliased.terms("best period")) == {"best", "period"}


def test_an_address_is_its_parts_and_what_people_call_it() -> None:
    """ "whats the email for the committee?" finds "committee@club.org.uk"; "link" and "website"
    find a web address; the address's parts stay findable, and a word is no address."""
    text = "Mail the committee at committee@club.org.uk, or see https://club.org.uk/join."
    terms = A.terms(text)
    assert terms == [t.term for t in A.tokens(text)]
    assert {"email", "link", "websit", "committe", "club", "join"} <= set(terms)
    spans = {t.term: text[t.start:t.end] for t in A.tokens(text)}
    assert spans["email"] == "committee@club.org.uk" and spans["link"] == "https://club.org.uk/join"
    assert "email" not in A.terms("user@host and @mentions and 3@4.5") and "link" not in A.terms("http: x")


@given(st.lists(st.sampled_from(["Word", "word", "words", "a", "the", "37", "000", "Su-25", "it's",
                                  "\"", "“", "”", "‘", "’", "(", ")", ",", ".", "!", "'", "-", " ", " ",
                                  "\n", "a@b.co", "@", "https://x.io/y", "://"]), max_size=12).map("".join))
def test_terms_of_a_text_are_the_terms_of_its_tokens(text: str) -> None:
    """Analysing a text word form by word form (the fast path, quotes and brackets around a
    word included) gives the terms the token pattern finds in the whole text."""
    assert A.terms(text) == [t.term for t in A.tokens(text)]
    aliased = A.with_aliases([["Soviet Union", "USSR"], ["word", "term"]])
    with_phrase = f"{text} Soviet Union"
    assert aliased.terms(with_phrase) == [t.term for t in aliased.tokens(with_phrase)]


def test_the_word_memo_is_bounded_and_changes_no_terms() -> None:
    text = " ".join(f"harbour{i}s ships-{i} Lighthouses" for i in range(400)) + " " + "q" * 150
    small, unbounded = Analyzer(memo_limit=50), Analyzer(memo_limit=10_000)
    assert small.terms(text) == unbounded.terms(text)
    assert small.memo_size() <= 3 * 50  # forms in each compound mode, and stems
    assert small.terms(text) == unbounded.terms(text)  # and again, from a memo cleared on the way


def test_a_dropped_analyzer_is_freed_at_once() -> None:
    """Its memo refers back to it only weakly: no cycle waits for the garbage collector."""
    analyzer = Analyzer()
    analyzer.terms("Lighthouses guide ships into the harbour")
    gone = weakref.ref(analyzer)
    del analyzer
    assert gone() is None


def test_aliases_join_spellings_both_ways() -> None:
    a = A.with_aliases([["Lukashenka", "Lukashenko"], ["USSR", "Soviet Union"]])
    assert a.terms("Lukashenko") == a.terms("Lukashenka’s")
    # A multi-word variant adds the group's term and keeps its own words findable.
    assert set(a.terms("USSR")) <= set(a.terms("the Soviet Union"))
    assert "soviet" in a.terms("the Soviet Union")


def test_sentence_spans_are_exact_and_skip_abbreviations() -> None:
    text = "Dr. Smith met Mr. Jones in the U.S. on Monday. It rained! Did it?\nA. Person, Minsk"
    starts, ends = split_sentences(text)
    sentences = [text[a:b] for a, b in zip(starts, ends, strict=True)]
    assert sentences == ["Dr. Smith met Mr. Jones in the U.S. on Monday.", "It rained!", "Did it?",
                         "A. Person, Minsk"]


def test_a_hard_wrapped_line_is_not_a_sentence_but_markdown_line_breaks_are() -> None:
    """Markdown renders a wrapped line as a space, so a quote must not start mid-sentence at it;
    list items, table rows, a dash under a quote, a hard break and an empty line stay breaks."""
    def sentences(text: str) -> list[str]:
        starts, ends = split_sentences(text)
        return [text[a:b] for a, b in zip(starts, ends, strict=True)]

    assert sentences("The goats give\nmilk every morning. The milk is made\ninto cheese.") == [
        "The goats give\nmilk every morning.", "The milk is made\ninto cheese."]
    assert sentences("We sell:\n- cheese on Fridays\n* milk\n+ eggs\n1. first\n2) second") == [
        "We sell:", "- cheese on Fridays", "* milk", "+ eggs", "1. first", "2) second"]
    # An ordered item's number starts its sentence ("1." is no sentence of its own).
    assert sentences("1. Download the installer.\n2. Run it. Then sign in.\n10. Done.") == [
        "1. Download the installer.", "2. Run it.", "Then sign in.", "10. Done."]
    assert sentences("It ended in\n1994. Then it began.") == ["It ended in\n1994.", "Then it began."]
    assert sentences("| a | b |\n| c | d |") == ["| a | b |", "| c | d |"]
    assert sentences("“Never before it is ripe,” said she\n— Anna Berg") == [
        "“Never before it is ripe,” said she", "— Anna Berg"]
    assert sentences("First line  \nsecond line\n\nthird") == ["First line", "second line", "third"]
    assert sentences("a temperature of\n-3 degrees in 2022\n100 soldiers") == [
        "a temperature of\n-3 degrees in 2022\n100 soldiers"]


def _table(*paragraphs: Paragraph, max_chars: int = 10_000) -> ChunkTable:
    doc = Document("doc", "T", None, None, None, None, paragraphs, "doc.md", "h")
    settings = RetrievalSettings(chunk_sentences=3, chunk_overlap=1, chunk_max_chars=max_chars)
    chunks = chunk_document(doc, settings)
    chunks.para_len.extend([0] * len(chunks.para_sent))  # lengths come from counting terms; not needed here
    return ChunkTable.assemble([doc], [chunks])


def test_long_paragraphs_become_overlapping_windows_with_stable_ids() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(1, 9))
    table = _table(Paragraph(1, "One. Two.", 1, None), Paragraph(2, text, 10, None))
    ids = [table.chunk_id(i) for i in range(len(table))]
    assert ids == ["doc#p1", "doc#p2.w1", "doc#p2.w2", "doc#p2.w3", "doc#p2.w4"]
    assert [table.chunk_sentences(i) for i in range(1, 5)] == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert table.text(1).startswith("Sentence number 1") and table.text(4).endswith("number 8 is here.")
    assert all(table.find(chunk_id) == i for i, chunk_id in enumerate(ids))
    assert table.find("doc#p2.w9") is None and table.find("other#p1") is None


def test_a_short_paragraph_longer_than_the_char_limit_is_one_window() -> None:
    table = _table(Paragraph(1, "One long sentence here. And another.", 1, None), max_chars=10)
    assert [table.chunk_id(i) for i in range(len(table))] == ["doc#p1.w1"]
    assert table.text(0) == "One long sentence here. And another."


_LETTERS = st.text(alphabet=st.sampled_from("abcdeiorstuyAEIRSTY"), min_size=1, max_size=12)
_OPEN = st.text(alphabet=st.sampled_from('(["'), max_size=2)
_CLOSE = st.text(alphabet=st.sampled_from('.,;:!?)]"'), max_size=3)


@given(_OPEN, _LETTERS, _CLOSE, st.integers(min_value=1, max_value=11))
def test_a_plain_word_in_punctuation_gives_what_the_full_tokeniser_gives(opening: str, letters: str,
                                                                          closing: str, at: int) -> None:
    """Plain ASCII words skip the tokenising pattern; a zero-width space inside the word (read
    as part of it, then dropped) sends the same word through the pattern: the terms agree."""
    analyzer = Analyzer()
    plain = f"{opening}{letters}{closing}"
    at = min(at, len(letters))
    marked = f"{opening}{letters[:at]}\u200b{letters[at:]}{closing}"
    for expand in (True, False):
        assert analyzer.terms(plain, expand) == analyzer.terms(marked, expand)
    assert analyzer.terms(f"{plain} and {plain}") == analyzer.terms(f"{marked} and {marked}")
