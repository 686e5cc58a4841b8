"""Answers: verbatim quotes, honest declines, citations a reader can check."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from bot.core.answer import Outcome, text_fragment_link
from bot.core.answering.query import expand_unknown, near_known
from bot.core.answering.quotes import continue_into_next
from bot.core.config import RetrievalSettings, load_settings
from bot.core.engine import Engine
from bot.core.index.bm25 import BM25Index, BM25Params
from bot.core.index.build import build_snapshot, load_snapshot
from bot.core.knowledge.documents import parse_document
from bot.core.text.chars import ELLIPSIS

REPO = Path(__file__).resolve().parent.parent
SETTINGS = load_settings(REPO / "config" / "config.yaml").retrieval


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_snapshot(REPO / "knowledge", SETTINGS))


def _folded(text: str) -> str:
    return " ".join(text.split())


QUESTIONS = [
    "How many people were detained after the 2020 protests?",
    "When was the Soviet Union founded?",
    "Who is Boris Gryzlov?",
    "What did Lukashenko say about Crimea?",
    "How many Russian troops will be in the joint task force?",
    "Which missiles will Belarus get?",
    "What are Preiherman's three goals?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_quotes_are_verbatim_short_and_cited(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert answer.answered, question
    docs = {d.doc_id: d for d in engine.snapshot.documents}
    for passage in answer.passages:
        assert len(passage.quote) <= SETTINGS.max_quote_chars
        source = _folded("\n\n".join(p.text for p in docs[passage.citation.doc_id].paragraphs))
        for piece in passage.quote.split(ELLIPSIS):
            assert _folded(piece) in source
        assert passage.citation.location == f"¶{passage.citation.paragraphs[0]}"
        assert passage.citation.published == "2022-11-04"
        # Highlights sit on words of the quote that the question shares.
        assert passage.highlights
        for start, end in passage.highlights:
            assert passage.quote[start:end].strip()


def test_the_question_of_the_issue_is_answered_with_the_number(engine: Engine) -> None:
    answer = engine.ask("How many people were detained after the 2020 protests?")
    assert "37 000" in answer.passages[0].quote
    assert answer.passages[0].citation.paragraphs == (4,)


def test_a_number_hard_wrapped_across_lines_is_found_and_highlighted_whole() -> None:
    """Markdown renders "37\n000" as "37 000" and the quote shows it so: the index and the
    highlights must read it as one number too."""
    text = (b"---\ntitle: Protests\n---\n\nAccording to a report of the UN, at least 37\n"
            b"000 people were detained. The arrests went on for months.\n\nThe harbour opens at nine.\n")
    e = Engine(build_snapshot([parse_document(Path("p.md"), text)], [], SETTINGS))
    for question in ("Were 37 000 people detained?", "Were 37000 people detained?"):
        passage = e.ask(question).passages[0]
        assert "37 000" in passage.quote, question
        assert any(passage.quote[a:b] == "37 000" for a, b in passage.highlights), question


FAQ = (b"---\ntitle: Community FAQ\n---\n\n## How do I reset my password?\n\n"
       b"Open Settings and choose Reset password. A link is sent to the e-mail address on your account.\n\n"
       b"## Can I change my username?\n\nYes, once every 30 days. Usernames must be 3-20 characters "
       b"and may contain letters, digits and underscores.\n\n## When is the next meetup?\n\n"
       b"Meetups take place on the first Saturday of every month in the events voice channel.\n")


def test_a_faq_heading_holds_the_question_its_paragraph_answers() -> None:
    """The heading is indexed with its paragraphs; deciding to answer and ranking count it too."""
    e = Engine(build_snapshot([parse_document(Path("faq.md"), FAQ)], [], SETTINGS))
    answer = e.ask("How often can I change my username?")
    assert answer.answered
    # The paragraph fits in one quote, so it is quoted whole: its first sentence is the answer.
    assert answer.passages[0].quote.startswith("Yes, once every 30 days. Usernames must")
    assert answer.passages[0].citation.section == "Can I change my username?"
    debug = e.explain("How often can I change my username?")
    assert "chang" in debug.hits[0].matched  # the debug view weighs the same evidence


def test_a_short_paragraph_is_quoted_whole_and_a_long_one_by_its_best_window() -> None:
    short = "The ferry leaves at ten. Tickets are sold on the quay. Dogs travel free."
    long = " ".join(f"Sentence {i} is about the harbour wall and nothing else." for i in range(8))
    text = f"---\ntitle: Harbour\n---\n\n{short}\n\n{long} The lighthouse was painted red in 1990.\n"
    e = Engine(build_snapshot([parse_document(Path("h.md"), text.encode())], [], SETTINGS))
    assert e.ask("Where are tickets sold?").passages[0].quote == short
    quote = e.ask("When was the lighthouse painted?").passages[0].quote
    assert "1990" in quote and not quote.startswith("Sentence 0")


def test_spelling_variants_find_each_other(engine: Engine) -> None:
    for question in ("Who lost the election against Tsikhanouskaya?",
                     "What did Lukashenko do after the protests?"):
        assert engine.ask(question).answered, question


def test_chat_abbreviations_are_no_words_the_question_asks_about(engine: Engine) -> None:
    # "rn" (right now), "tbh", "imo": filler in a Discord question, not the rarest word of it.
    plain = engine.ask("where is the belarus opposition based")
    assert plain.answered
    for casual in ("where is the belarus opposition based rn",
                   "tbh where is the belarus opposition based imo"):
        answer = engine.ask(casual)
        assert answer.answered and answer.passages[0].quote == plain.passages[0].quote


def test_the_words_of_an_aliased_phrase_are_not_words_the_knowledge_base_never_uses() -> None:
    # "secret service" is an alias of the KGB: its words are the KGB's, though no file says them.
    doc = parse_document(Path("kgb.md"), b"---\ntitle: K\n---\nThere, the KGB is still called KGB.\n\n"
                                         b"The state keeps a tight grip on prices.\n")
    question = "Is the secret service still named KGB?"
    plain = Engine(build_snapshot([doc], [], RetrievalSettings()))
    assert not plain.ask(question).answered
    assert plain.unused_words(question) == ("secret", "service")
    aliased = Engine(build_snapshot([doc], [("KGB", "secret service")], RetrievalSettings()))
    answer = aliased.ask(question)
    assert answer.answered and answer.passages[0].quote == "There, the KGB is still called KGB."
    assert aliased.unused_words(question) == ()


@pytest.mark.parametrize(
    "question",
    [
        "What's the best recipe for pancakes?",
        "How do I reverse a list in Python?",
        "Who won the 2018 World Cup?",
        "What time zone is Tokyo in?",
    ],
)
def test_off_topic_questions_are_declined(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert answer.outcome is Outcome.NO_MATCH
    assert answer.passages == ()
    data = answer.to_json()
    assert data == {"question": question, "answered": False, "passages": [],
                    "unused_words": list(answer.unused_words)}
    # every word named is one the question used and the knowledge base never does
    words = question.casefold()
    assert all(w.casefold() in words and not engine.ask(w).answered for w in answer.unused_words)


def test_a_decline_names_the_words_the_knowledge_base_never_uses(engine: Engine) -> None:
    answer = engine.ask("What's the best recipe for pancakes in Finland?")
    assert not answer.answered
    assert answer.unused_words == ("recipe", "pancakes", "Finland")  # in order; the name as written
    assert engine.ask("When did Lukashenka come to power?").unused_words == ()  # answered: none
    many = engine.ask("Recipe for pancakes, waffles, crumpets, muffins or scones?")
    assert many.unused_words == ("recipe", "pancakes", "waffles", "crumpets", "muffins")  # at most five


@pytest.mark.parametrize(
    ("question", "outcome"),
    [("", Outcome.EMPTY_QUESTION), ("   \n\t", Outcome.EMPTY_QUESTION), ("?!…", Outcome.EMPTY_QUESTION),
     ("What is it?", Outcome.ONLY_COMMON_WORDS), ("😀😀", Outcome.EMPTY_QUESTION)],
)
def test_empty_and_meaningless_questions_get_a_message(engine: Engine, question: str,
                                                       outcome: Outcome) -> None:
    answer = engine.ask(question)
    assert answer.outcome is outcome
    assert answer.message and not answer.answered


def test_odd_input_never_raises(engine: Engine) -> None:
    odd = ("x" * 6000, "مرحبا بالعالم", "\u200b\u200b", "Belarus " * 800, "<@123> @everyone")
    for question in odd:
        engine.ask(question)


def test_no_near_duplicate_passages(engine: Engine) -> None:
    for question in QUESTIONS:
        passages = engine.ask(question, top=5).passages
        quotes = [p.quote for p in passages]
        assert len(set(quotes)) == len(quotes)
        for a in passages:
            for b in passages:
                if a is not b and a.citation.paragraphs == b.citation.paragraphs:
                    assert a.quote not in b.quote and b.quote not in a.quote


def test_top_is_respected(engine: Engine) -> None:
    assert len(engine.ask("Lukashenka and Putin", top=1).passages) == 1
    assert len(engine.ask("Lukashenka and Putin", top=5).passages) <= 5


def test_long_sentence_is_trimmed_around_its_match() -> None:
    text = " ".join(["filler"] * 100) + " the Iskander-M missile " + " ".join(["padding"] * 100) + "."
    doc = parse_document("long.md", f"---\ntitle: Long\n---\n\n{text}\n".encode())
    settings = msgspec.structs.replace(SETTINGS, max_quote_chars=120)
    trimmed = Engine(build_snapshot([doc], [], settings)).ask("Where is the Iskander-M?").passages[0].quote
    assert len(trimmed) <= 120
    assert trimmed.startswith(ELLIPSIS) and trimmed.endswith(ELLIPSIS)
    assert "Iskander-M" in trimmed
    assert not re.search(r"\w…|…\w", trimmed.replace("…filler", "").replace("padding…", ""))


def test_a_quote_continues_into_a_sentence_too_long_to_fit() -> None:
    quote = "Why it matters."
    following = "Because " + " ".join(f"word{i}" for i in range(80)) + " end."
    out = continue_into_next(quote, following, 120)
    assert out.startswith("Why it matters. Because word0 ")
    assert out.endswith("…") and len(out) <= 120
    assert out[:-1] in quote + " " + following  # verbatim up to the cut
    assert not out[:-1].endswith(" ")  # cut at a word boundary
    assert continue_into_next("x" * 100, following, 120) == "x" * 100  # no room: unchanged


def test_citation_link_jumps_to_the_quoted_sentence(tmp_path: Path) -> None:
    (tmp_path / "garden.md").write_text(
        "---\ntitle: Garden\npublished: 2023-05-01\nurl: https://example.org/garden#top\n---\n\n"
        "Tomatoes need six to eight hours of sun a day, with water twice a week & some care.\n\n"
        "Basil keeps whitefly away.\n", encoding="utf-8")
    engine = Engine(load_snapshot(tmp_path, SETTINGS))
    passage = engine.ask("How much sun do tomatoes need?").passages[0]
    assert passage.citation.url == "https://example.org/garden#top"
    assert passage.citation.link.startswith("https://example.org/garden#:~:text=Tomatoes%20need%20six%20to,")
    assert "%26" in passage.citation.link  # '&' must be encoded or the fragment breaks
    assert text_fragment_link("https://x.org/a", "Short one.") == "https://x.org/a#:~:text=Short%20one."


def test_unseen_words_reach_their_relatives() -> None:
    index = BM25Index.from_corpus([["dissolut", "invas", "counter", "offens", "lukashenka"]],
                                  BM25Params.from_settings(SETTINGS))
    assert "dissolut" in expand_unknown("dissolv", index)
    assert expand_unknown("counteroffens", index) == ("counter", "offens")
    assert "lukashenka" in expand_unknown("lukashenko", index)
    assert expand_unknown("pizza", index) == ()
    # A one-letter typo of a five-letter word is found too; four letters are too few to tell.
    short = BM25Index.from_corpus([["strong", "forc", "bind"]], BM25Params.from_settings(SETTINGS))
    assert expand_unknown("stong", short) == ("strong",)
    assert expand_unknown("bnd", short) == ()
    # A first letter dropped is not guessed: it turns everyday words into others.
    other = BM25Index.from_corpus([["csto", "presum", "pres"]], BM25Params.from_settings(SETTINGS))
    assert expand_unknown("store", other) == ()
    assert expand_unknown("resum", other) == ()
    # An everyday word is not a typo of another ("prime" is not "price"); an unusual one may be.
    prices = BM25Index.from_corpus([["price", "control"]], BM25Params.from_settings(SETTINGS))
    assert expand_unknown("prime", prices, typos=False) == ()
    assert expand_unknown("pricce", prices) == ("price",)


def test_an_everyday_word_is_not_read_as_a_typo_of_another(tmp_path: Path) -> None:
    (tmp_path / "shop.md").write_text("---\ntitle: Shop\n---\n\nThe price of a ticket is ten euros.\n",
                                      encoding="utf-8")
    engine = Engine(load_snapshot(tmp_path, SETTINGS))
    assert not engine.ask("What is the prime of a ticket?").passages
    assert engine.ask("What is the pricce of a ticket?").passages  # a misspelling still finds it


def test_a_compound_is_held_only_by_a_passage_holding_both_halves() -> None:
    """An unseen "password" is matched as "pass" + "word" (it may be written apart), but a passage
    holding one half does not hold it: otherwise any text saying "word" answers it."""
    text = (b"---\ntitle: Club\n---\nA reset of the scoreboard comes after every set.\n\n"
            b"Give your word to the referee before the match.\n\n"
            b"Write the pass word on the card and reset it every month.\n")
    engine = Engine(build_snapshot([parse_document(Path("c.md"), text)], [], SETTINGS))
    answer = engine.ask("How do I reset my password?")
    assert answer.passages[0].quote == "Write the pass word on the card and reset it every month."
    query = engine.windows("How do I reset my password?")[0]
    assert query.groups["password"] == ("pass", "word") and "password" in query.compounds
    assert query.covered(frozenset({"word", "reset"})) == {"reset"}
    assert query.covered(frozenset({"pass", "word"})) == {"password"}


def test_a_misspelling_is_one_edit_away_or_two_from_seven_letters_on() -> None:
    """Two edits in six letters is a third of the word: another word, or a name the knowledge
    base does not know, more often than a typo."""
    index = BM25Index.from_corpus([["market", "markets", "shirley"]], BM25Params.from_settings(SETTINGS))
    assert near_known("mrket", index) and near_known("mraket", index)  # one edit; a transposition
    assert not near_known("murkit", index)  # six letters, two edits: another word
    assert near_known("murkets", index)  # seven letters, two edits
    assert near_known("shirl", index)  # the start of a longer word


def _harbour_engine() -> Engine:
    text = (b"---\ntitle: Harbour\n---\nThe harbour opens at nine, said Raymond Smullyan.\n\n"
            b"Fish are sold at noon on the quay.\n\nThe ferry to the island leaves at ten.\n")
    return Engine(build_snapshot([parse_document(Path("h.md"), text)], [], SETTINGS))


def test_a_misspelt_question_word_is_not_the_rarest_word_of_the_question() -> None:
    engine = _harbour_engine()
    # "Whwn" is "when" (a stopword), not a word the knowledge base lacks: the question is answered
    # as it would be spelt right.
    right, typo = engine.ask("When does the harbour open?"), engine.ask("Whwn does the harbour open?")
    assert right.answered and typo.answered
    assert typo.passages[0].quote == right.passages[0].quote
    weights = engine.explain("Whwn does the harbour open?").weights
    assert weights == engine.explain("When does the harbour open?").weights
    # A real word one letter from a stopword ("soft", "sort") is a word of the question, and so
    # is a capitalised word inside it: a name ("Moore" is not a misspelt "more").
    assert engine.explain("Which soft fish are sold?").weights.keys() >= {"soft", "fish"}
    assert "moor" in engine.explain("When did Moore say the harbour opens?").weights
    assert not engine.ask("When did Moore say the harbour opens?").answered


def test_a_known_first_name_does_not_make_an_unknown_surname_known(engine: Engine) -> None:
    # The article names Vladimir Putin and Boris Gryzlov, never Zelensky or Yeltsin's successors:
    # a question about someone else who shares a first name is not about them.
    assert not engine.ask("Who is Vladimir Zelensky?").answered
    assert not engine.ask("What did Vladimir Zelensky say about Lukashenka?").answered
    assert engine.ask("What did Vladimir Putin say about Lukashenka?").answered


@pytest.mark.parametrize("question", [
    "What is the speed of light?",  # "light" is in the article ("in the light of the risks")
    "What is the weather like today?",  # "today" too
    "How do I reset my password?",  # "reset" is one letter from "rest"
    # The article names Minsk and Belarusians often; it never says "weather" or "religion",
    # everyday words that weigh in full when they are the words a knowledge base never uses.
    "What is the weather in Minsk?",
    "What religion do most Belarusians follow?",
    # "starter" is unseen and matches only as a guess ("start"): beside "sourdough", which the
    # article never uses, it is no second match.
    "How do I make a sourdough starter?",
])
def test_one_matching_word_does_not_answer_a_question_about_something_else(engine: Engine,
                                                                           question: str) -> None:
    # The other half of each question is a word the article never uses: declined.
    assert not engine.ask(question).answered


def test_an_unused_everyday_word_does_not_decline_a_question_the_rest_of_it_matches(engine: Engine) -> None:
    # "working" is not in the article, but it weighs little beside "integrating" and the names.
    answer = engine.ask("How long have Minsk and Moscow been working on integrating their countries?")
    assert any("more than 20 years" in p.quote for p in answer.passages)


def test_a_guessed_relative_still_answers_when_every_other_word_is_used(engine: Engine) -> None:
    # "upgrded" is unseen and matched as a typo ("upgrade"); nothing else in the question is
    # unused, so the guess counts.
    answer = engine.ask("Which warplanes will get upgrded for nukes?")
    assert answer.answered and "Su-25" in answer.passages[0].quote


def test_decline_threshold_is_a_setting() -> None:
    text = b"---\ntitle: D\n---\nThe harbour opens at nine.\n\nFish are sold at noon.\n"
    doc = parse_document(Path("d.md"), text)
    strict = msgspec.structs.replace(RetrievalSettings(), min_coverage=1.0, confident_coverage=1.0)
    lenient = msgspec.structs.replace(RetrievalSettings(), min_coverage=0.0, confident_coverage=0.0)
    question = "When does the harbour open for tourists?"
    assert not Engine(build_snapshot([doc], [], strict)).ask(question).answered
    assert Engine(build_snapshot([doc], [], lenient)).ask(question).answered


def test_a_question_naming_something_unknown_is_declined(engine: Engine) -> None:
    # "join" and "NATO" match the article well; Finland is never mentioned in it.
    assert not engine.ask("When did Finland join NATO?").answered
    assert engine.ask("Which Russian-led blocs is Belarus part of?").answered  # "-led" is no name
    assert engine.ask("What did Lukashenko do after the elections?").answered  # alias of a known name
    # A name that is also in the common-English list is still a name the article never uses...
    assert not engine.ask("What did Obama say about Lukashenka?").answered
    assert not engine.ask("Who is the Secretary General of NATO?").answered
    # ...but a question written in Title Case capitalises its everyday words, not names.
    assert engine.ask("How Many Russian Troops Will Be In The Joint Task Force?").answered
