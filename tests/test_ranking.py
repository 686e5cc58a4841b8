"""The quote ranking, declines and the "not found in the quote" flag, on knowledge written here.

Each test builds a small knowledge base where the right answer is known and one signal decides
it, so a change that breaks that signal fails here (the answer-quality sets measure the sum).
"""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec
import numpy as np

from bot.core.answering.query import answer_kind, asked_office
from bot.core.answering.quotes import quote_windows, window_spans
from bot.core.answering.ranking import FEATURES, Candidate, FloatArray, document_scores
from bot.core.answering.retrieval import RankedWindows
from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import build_snapshot
from bot.core.knowledge.documents import parse_document
from bot.core.text.analyzer import Analyzer
from bot.discord_app import render
from bot.render_text import render_text

REPO = Path(__file__).resolve().parent.parent
SETTINGS = RetrievalSettings()


def engine(*docs: tuple[str, str], settings: RetrievalSettings = SETTINGS,
           aliases: list[tuple[str, ...]] | None = None) -> Engine:
    parsed = [parse_document(f"{name}.md", f"---\ntitle: {name.title()}\n---\n\n{body}\n".encode())
              for name, body in docs]
    return Engine(build_snapshot(parsed, aliases or [], settings))


ORCHARD = ("orchard", "The orchard grows apples and pears on the hill.\n\n"
           "Apples are picked in September and pears in October, when the fruit is ripe.\n\n"
           "The cider press stands in the old barn, and cider is pressed from the apples in November.\n\n"
           "Bees from the village pollinate the blossom in April.")


def test_features_are_scaled_and_the_score_is_their_weighted_sum() -> None:
    e = engine(ORCHARD)
    query, ranked = e.windows("When are apples picked?")
    assert ranked is not None and len(ranked.scores)
    features = ranked.windows.features
    assert features.shape[1] == len(FEATURES)
    assert ((features >= 0) & (features <= 1)).all()
    weights = np.array([getattr(SETTINGS.ranking, f) for f in FEATURES])
    assert np.allclose(ranked.windows.scores, features @ weights)
    best = int(np.argmax(ranked.scores))
    passage = e.window_passage(ranked, best, query)
    assert passage is not None and "picked in September" in passage.quote


def test_the_answer_kind_decides_between_two_windows_that_match_alike() -> None:
    e = engine(("fair", "The village fair is held on the green every summer.\n\n"
                        "The village fair was first held in 1887 on the green."))
    passage = e.ask("When was the village fair on the green first held?").passages[0]
    assert "1887" in passage.quote


def test_a_clock_time_or_a_weekday_answers_when_and_what_time() -> None:
    meetup = ("meetup", "The weekly meetup is run by volunteers from the town library.\n\n"
                        "The weekly meetup starts at 7 pm in the town library.\n\n"
                        "Parking behind the town library is free for the weekly meetup.")
    e = engine(meetup)
    # The article never says "time": in "what time is…" the word names the answer, it is no topic
    # the article leaves out, and 7 pm is that answer (in a one-paragraph file it was declined).
    for question in ("What time is the weekly meetup?", "When is the weekly meetup in the town library?"):
        answer = e.ask(question)
        assert answer.answered and "7 pm" in answer.passages[0].quote, question
    weekday = engine(("meetup", "The weekly meetup is run by volunteers from the town library.\n\n"
                                "The weekly meetup is held every Friday in the town library."))
    assert "Friday" in weekday.ask("When is the weekly meetup in the town library?").passages[0].quote
    # A word the article never uses still weighs when it is not the answer's kind.
    assert not e.ask("What colour is the weekly meetup's logo?").answered


def test_a_question_about_a_population_is_answered_only_by_a_number() -> None:
    text = ("The population of Kaliningrad grew quickly after the war, as workers came from all over "
            "the country.\n\nThe port of Kaliningrad stays free of ice in winter, and 90% of its trade "
            "goes by sea.")
    # The number must count the population: "90% of its trade" does not.
    assert not engine(("exclave", text)).ask("What is the population of Kaliningrad?").passages
    counted = engine(("exclave", text + "\n\nToday the population of Kaliningrad is about 490,000."))
    for question in ("What is the population of Kaliningrad?", "What is Kaliningrad's population?"):
        assert "490,000" in counted.ask(question).passages[0].quote


def test_how_long_a_thing_is_is_answered_only_by_a_number_with_its_unit() -> None:
    """A year or a count is no length: "the 2020 protests" and "three goals" do not answer how long
    a border is; "1,084 km" does. How long something has lasted is another question (below)."""
    text = ("The border between Belarus and Ukraine was closed after the 2020 protests, for three goals "
            "of the government.\n\nTrade across the border of Belarus fell.")
    assert not engine(("border", text)).ask("How long is the border between Belarus and Ukraine?").passages
    measured = engine(("border", text + "\n\nThe border between Belarus and Ukraine is 1,084 km long."))
    quote = measured.ask("How long is the border between Belarus and Ukraine?").passages[0].quote
    assert "1,084 km" in quote
    assert answer_kind("How far is the Moon from Earth?") == "measure"


def test_how_long_something_has_lasted_prefers_a_span_and_does_not_require_one() -> None:
    """"How long have…?" wants a span ("for more than 20 years") or the year it began, not any
    number: "in three talks" (the shorter passage, which BM25 prefers) answers nothing."""
    talks = "Belarus and Russia have pursued integration in three talks."
    span = "Belarus and Russia have pursued their integration in Minsk for more than 20 years."
    question = "How long have Belarus and Russia pursued integration?"
    assert answer_kind(question) == "duration"
    for first, second in ((talks, span), (span, talks)):
        e = engine(("one", first), ("two", second))
        assert "20 years" in e.ask(question).passages[0].quote
    # preferred, not required:
    assert "three talks" in engine(("talks", talks)).ask(question).passages[0].quote


def test_who_holds_an_office_is_answered_only_by_a_passage_naming_someone_beside_it() -> None:
    club = ("The president of the club signs the accounts every spring.\n\n"
            "Members meet in the hall of the club on Tuesdays.")
    assert not engine(("club", club)).ask("Who is the president of the club?").passages
    named = engine(("club", club + "\n\nSince 2021 Anna Berg has been the president of the club."))
    assert named.ask("Who is the president of the club?").passages[0].quote.startswith("Since 2021 Anna Berg")
    assert asked_office("Who was the final Prime Minister of East Germany?") == "prime minister"
    assert asked_office("Who is the minister of finance?") == "minister"
    assert asked_office("Who signed the treaty?") is None
    assert asked_office("Who is the club's president?") is None  # not the question form it knows


def test_a_prime_minister_is_not_any_minister() -> None:
    """Ministers named in the text do not answer who the prime minister is (the office asked for
    is "prime minister", not "minister")."""
    cabinet = ("In August the opposition of Belarus named Alexander Azarov and Valery Sakhaschyk ministers "
               "of its cabinet in exile, whose prime aim is free elections.\n\n"
               "The government of Belarus raised prices in spring.")
    assert not engine(("cabinet", cabinet)).ask("Who is the prime minister of Belarus?").passages
    named = engine(("cabinet", cabinet + "\n\nRoman Golovchenko is the prime minister of Belarus."))
    quote = named.ask("Who is the prime minister of Belarus?").passages[0].quote
    assert quote.startswith("Roman Golovchenko")


def test_the_exact_form_beats_a_word_that_only_shares_its_stem() -> None:
    e = engine(("design", "The engineers designed the bridge in steel and glass."),
               ("designate", "The council designated the bridge a protected monument."))
    passage = e.ask("Who designated the bridge?").passages[0]
    assert passage.citation.doc_id == "designate"


def test_a_phrase_of_the_question_wins_over_its_words_far_apart() -> None:
    e = engine(("apart", "Blue boats and blue nets fill the harbour, where the fishermen once saw a whale."),
               ("phrase", "Krill swarm near the ice. The blue whale is the largest animal that ever lived."))
    assert e.ask("What is the blue whale?").passages[0].citation.doc_id == "phrase"


def _feature(ranked: RankedWindows, name: str) -> FloatArray:
    return ranked.windows.features[:, FEATURES.index(name)]


def test_a_phrase_of_two_rare_words_counts_more_than_one_of_two_common_words() -> None:
    """Each window below holds every word of the question and one of its pairs close together:
    the one whose pair is of rare words ("falcon osprey") scores higher on term pairs than the
    one whose pair is of words in every paragraph ("garden path")."""
    filler = "\n\n".join(f"The garden path by house {i} is wide." for i in range(8))
    common_pair = "The garden path runs past the falcon, and far away sits the osprey."
    rare_pair = "The falcon osprey nests by the garden, and far beyond the river the path ends."
    e = engine(("walks", f"{filler}\n\n{common_pair}\n\n{rare_pair}"))
    query, ranked = e.windows("garden path falcon osprey")
    assert ranked is not None
    quotes = [e.window_passage(ranked, w, query) for w in range(len(ranked.scores))]
    pairs = _feature(ranked, "term_pairs")
    common = [pairs[w] for w, p in enumerate(quotes) if p is not None and "runs past" in p.quote]
    rare = [pairs[w] for w, p in enumerate(quotes) if p is not None and "nests by" in p.quote]
    assert common and rare and max(rare) > max(common)
    assert "nests by" in e.ask("garden path falcon osprey").passages[0].quote


def test_document_bm25_favours_the_document_most_candidate_chunks_come_from() -> None:
    e = engine(("lighthouse", "The lighthouse keeper climbs the stairs at dusk.\n\n"
                              "The lighthouse lamp was lit by the keeper every night.\n\n"
                              "A new keeper came to the lighthouse in 1921."),
               ("harbour", "The harbour master once met the lighthouse keeper on the quay."))
    _query, ranked = e.windows("Who is the lighthouse keeper?")
    assert ranked is not None
    docs = [e.snapshot.chunks.documents[int(e.snapshot.chunks.para_doc[c.paragraph])].doc_id
            for c, _facts in ranked.kept]
    by_doc = {docs[int(o)]: float(v) for o, v in zip(ranked.windows.owner, _feature(ranked, "document_bm25"),
                                                       strict=True)}
    assert by_doc["lighthouse"] == 1.0 and 0.0 < by_doc["harbour"] < 0.5
    one = engine(ORCHARD)
    _q, alone = one.windows("When are apples picked?")
    assert alone is not None and np.allclose(_feature(alone, "document_bm25"), 1.0)  # one document: no say


def test_document_scores_sum_each_documents_candidates_scaled_to_the_best() -> None:
    cands = [Candidate(0, 0, 4.0), Candidate(1, 1, 2.0), Candidate(5, 7, 3.0)]
    assert document_scores(cands, [0, 0, 1]) == {0: 1.0, 1: 0.5}
    assert document_scores([], []) == {}
    assert document_scores([Candidate(0, 0, 0.0)], [3]) == {3: 0.0}


def test_each_passage_is_a_different_part_of_the_text() -> None:
    e = engine(ORCHARD)
    passages = e.ask("apples pears cider orchard", top=5).passages
    spans = [(p.citation.paragraphs[0], p.quote) for p in passages]
    assert len(spans) == len(set(spans)) >= 2


# ---- declines ---------------------------------------------------------------------------------

def test_a_quote_repeated_in_several_files_is_shown_once() -> None:
    footer = "Need help? Contact support at help@example.com or in the support channel."
    e = engine(*((f"guide-{n}", f"Guide {n} explains the widget's {n} settings.\n\n{footer}")
                 for n in ("audio", "video", "network")),
               ("faq", "To reach support by phone, call the support line on weekdays."))
    quotes = [p.quote for p in e.ask("How do I contact support?").passages]
    assert quotes.count(footer) == 1 and len(quotes) == len(set(quotes))
    assert any("support line" in q for q in quotes)  # the slot goes to another passage


def test_a_question_about_what_is_not_the_case_needs_a_negative_passage() -> None:
    question = "Which fruit is not picked in September?"
    plain = engine(ORCHARD)
    assert not plain.ask(question).answered
    negative = engine(("orchard", "The orchard grows apples on the hill.\n\n"
                                  "Plums are not picked in September but in August."))
    assert "Plums are not picked" in negative.ask(question).passages[0].quote
    off = msgspec.structs.replace(SETTINGS, decline_negated=False)
    assert engine(ORCHARD, settings=off).ask(question).answered


def test_a_question_naming_a_year_is_answered_only_from_a_paragraph_that_mentions_it() -> None:
    harbour = ("harbour", "The harbour was rebuilt in 1985 after the storm destroyed the old pier.\n\n"
                          "Fishing boats moor at the new pier, and the ferry leaves it every morning.")
    question = "Why was the harbour rebuilt in 1990?"
    assert not engine(harbour).ask(question).answered  # the article says 1985, never 1990
    assert "rebuilt in 1985" in engine(harbour).ask("Why was the harbour rebuilt in 1985?").passages[0].quote
    off = msgspec.structs.replace(SETTINGS, require_year=False)
    assert engine(harbour, settings=off).ask(question).answered
    # A decade is not a year the paragraph must repeat: "in the 1980s".
    assert engine(harbour).ask("Why was the harbour rebuilt in the 1980s?").answered
    later = ("harbour", "The harbour was rebuilt after the storm of 1984 destroyed the old pier.\n\n"
                        "In 1990 the ferry began to leave the new pier every morning.")
    # Every year named must be in the paragraph: the one that says 1990 does not say the storm's year.
    answer = engine(later).ask("Did the storm of 1984 destroy the pier?")
    assert answer.answered and "1984" in answer.passages[0].quote
    assert all("1990" not in p.quote for p in answer.passages)


def test_abbreviations_units_and_misspellings_are_not_unknown_names() -> None:
    e = engine(("weather", "In Tallinn the frost reaches minus twenty degrees in January; "
                           "Tsikhanouskaya spoke at the conference on the cold winters of the north."))
    assert e.ask("How cold does it get in Tallinn in Celsius?").answered  # a unit
    assert e.ask("How cold does Tallinn get according to the NY report?").answered  # an abbreviation
    assert e.ask("Where did Tsikhanovskaya speak?").answered  # one letter off a known name
    assert not e.ask("How cold does it get in Helsinki?").answered  # a name never mentioned


def test_an_unknown_name_declines_only_when_it_carries_the_question_if_so_set() -> None:
    question = "In which month does the frost in Tallinn reach minus twenty degrees, as Bergstrom wrote?"
    doc = ("weather", "In Tallinn the frost reaches minus twenty degrees in January.")
    assert not engine(doc).ask(question).answered  # default: any unknown name declines
    share = msgspec.structs.replace(SETTINGS, unknown_name_share=0.35)
    assert engine(doc, settings=share).ask(question).answered  # one name of a long question
    assert not engine(doc, settings=share).ask("What did Bergstrom write?").answered


def test_a_question_asking_only_what_the_articles_never_say_about_a_name_is_declined() -> None:
    doc = ("mayor", "Mayor Tamsin Okonkwo opened the harbour in Tallinn in 1985 and later moved to Tartu.")
    e = engine(doc)
    # Every word but the name is one the article never uses: it does not say her age or birth.
    assert not e.ask("How old is Tamsin Okonkwo?").answered
    assert not e.ask("In what year was Tamsin Okonkwo born?").answered  # "what year": the answer type
    # One word the article uses is enough for the rest to be judged as usual.
    assert e.ask("Which harbour did Tamsin Okonkwo open?").answered
    assert e.ask("In what year did Tamsin Okonkwo open the harbour?").answered
    off = msgspec.structs.replace(SETTINGS, decline_unused_words=False)
    assert engine(doc, settings=off).ask("How old is Tamsin Okonkwo?").answered


# ---- "not found in the quote" -------------------------------------------------------------------

def test_a_quote_without_the_questions_name_says_so_everywhere() -> None:
    e = engine(("fair", "In Tartu the village fair moved to the green.\n\n"
                        "The village fair has music, games and a cake contest every summer."))
    answer = e.ask("What cake contest was at the fair in Tartu?")
    assert answer.answered
    passage = answer.passages[0]
    assert "cake contest" in passage.quote and passage.missing == ("Tartu",)
    assert passage.to_json()["missing"] == ["Tartu"]
    assert "(not found in the quote: Tartu)" in render_text(answer)
    card = render.render_answer(answer)
    assert card.embed is not None and "not found in the quote: Tartu" in card.embed["description"]
    held = e.ask("When did the village fair move to the green in Tartu?").passages[0]
    assert held.missing == () and held.to_json()["missing"] == []


def test_a_quote_without_the_questions_year_says_so_when_its_paragraph_has_the_year() -> None:
    long = ("In 1991 the village fair moved to the green. " + "The stalls sell bread and honey. " * 12
            + "The village fair has music, games and a cake contest every summer.")
    answer = engine(("fair", long)).ask("What cake contest was at the fair in 1991?")
    assert answer.answered
    passage = answer.passages[0]
    assert "cake contest" in passage.quote and passage.missing == ("1991",)


# ---- highlights ----------------------------------------------------------------------------------

def test_highlights_mark_exactly_the_quotes_words_that_match_the_question() -> None:
    """Highlights come from each sentence's tokens, computed once; they must be what analysing
    the final quote (cut, continued) would mark."""
    analyzer = Analyzer()
    long = " ".join(f"Sentence {i} mentions apples and the cider press." for i in range(40))
    e = engine(ORCHARD, ("long", long))
    for question in ["When are apples picked?", "Where is the cider press?", "apples cider press barn",
                     "Who pollinates the blossom in April?"]:
        for passage in e.ask(question, top=5).passages:
            wanted = set(passage.matched_terms)
            expected = {(t.start, t.end) for t in analyzer.tokens(passage.quote) if t.term in wanted}
            marked = passage.highlights
            for start, end in expected:  # every matching word is inside a highlight (adjacent ones merge)
                assert any(a <= start and end <= b for a, b in marked), (question, passage.quote)
            for a, b in marked:  # and every highlight holds a matching word
                assert set(analyzer.terms(passage.quote[a:b])) & wanted, passage.quote[a:b]


# ---- fitting ------------------------------------------------------------------------------------

def test_the_fit_finds_the_feature_that_marks_the_answers() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from fit_ranking import Group, fit

    rng = np.random.default_rng(3)
    groups = []
    for _ in range(200):
        features = rng.uniform(0, 1, size=(12, len(FEATURES)))
        labels = np.zeros(12)
        labels[int(np.argmax(features[:, 2]))] = 1  # the window best on feature 2 holds the answer
        groups.append(Group(None, "synthetic", features, labels, np.ones(12, dtype=bool)))  # type: ignore[arg-type]
    w = fit(groups)
    assert int(np.argmax(w)) == 2 and w[2] > 2 * np.abs(np.delete(w, 2)).max()


def test_every_window_of_every_candidate_paragraph_is_ranked_once_and_none_crosses_paragraphs() -> None:
    e = engine(("farm", "The farm keeps goats. Goats give milk every morning. The milk is made into cheese. "
                        "Cheese is sold at the market on Fridays.\n\n"
                        "The market opens at dawn. Farmers bring cheese, milk and eggs.\n\n"
                        "Goats graze on the hill in summer."))
    _query, ranked = e.windows("Which cheese and milk do the goats of the farm give at the market?")
    assert ranked is not None and len(ranked.kept) >= 2
    for c, (_cand, pf) in enumerate(ranked.kept):
        mine = ranked.windows.owner == c
        got = list(zip(ranked.windows.first[mine].tolist(), ranked.windows.last[mine].tolist(), strict=True))
        assert got == quote_windows(pf.chars, SETTINGS.max_quote_sentences, SETTINGS.max_quote_chars)


def test_window_spans_of_concatenated_paragraphs_are_each_paragraphs_own_windows() -> None:
    paragraphs = [[30, 200, 150, 20], [10], [390, 5, 5, 5, 400]]
    chars = np.array([c for p in paragraphs for c in p])
    ends = np.repeat(np.cumsum([len(p) for p in paragraphs]), [len(p) for p in paragraphs])
    first, last = window_spans(chars, ends, 3, 400)
    expected, offset = [], 0
    for p in paragraphs:
        expected += [(a + offset, b + offset) for a, b in quote_windows(p, 3, 400)]
        offset += len(p)
    assert list(zip(first.tolist(), last.tolist(), strict=True)) == expected
    # 30 + 1 + 200 + 1 + 150 = 382 fits; 200 + 150 + 20 + 2 = 372 fits; 390 + 5 + 1 = 396 fits, 401 not
    assert (0, 2) in expected and (1, 3) in expected and (5, 6) in expected and (5, 7) not in expected


def test_the_command_line_shows_a_quoted_list_one_item_per_line() -> None:
    e = engine(("setup", "Supported systems:\n\n- Windows 10 or newer\n- Ubuntu 22.04 (the \\n build)"))
    answer = e.ask("Which systems are supported?")
    last = "- Ubuntu 22.04 (the \\n build)"
    assert answer.passages[0].quote == "Supported systems:\n- Windows 10 or newer\n" + last
    lines = render_text(answer).split("\n")
    # a line break of the quote starts a line; a backslash and an "n" in the text are text
    assert lines[:3] == ["1. “Supported systems:", "   - Windows 10 or newer", f"   {last}”"]
    marked = render_text(answer, color=True).split("\n")
    assert marked[0] == "1. “\x1b[1mSupported\x1b[0m \x1b[1msystems\x1b[0m:"


def test_a_one_paragraph_file_answers_what_time_its_event_starts() -> None:
    e = engine(("meetup", "The weekly meetup starts at 7 pm every Friday in the town library."))
    assert e.ask("what time is the meetup?").answered
    assert not e.ask("what colour is the meetup?").answered


def test_a_number_the_article_uses_is_what_the_question_is_about() -> None:
    # "coming" is a word the file never uses, but beside the name "2.0" is the file's: the question
    # is not about a name alone.
    doc = ("releases", "Is there a Tern 2.0 planned? Yes, but there's no date yet.\n\n"
                       "Patch releases of Tern go out whenever a serious bug is fixed.")
    answer = engine(doc).ask("When is Tern 2.0 coming out?")
    assert answer.answered and "no date yet" in answer.passages[0].quote


def test_a_list_items_number_is_no_answer_to_how_many() -> None:
    rules = ("rules", "Server rules:\n\n1. Be kind to everyone in the chat.\n"
                      "2. Keep the star channel tidy.\n\nPost at most 5 links a day.")
    e = engine(rules)
    assert not e.ask("How many stars does the star channel have?").answered  # only item numbers
    assert "5 links" in e.ask("How many links a day can I post?").passages[0].quote


def test_a_decline_names_the_documents_nearest_the_question_first() -> None:
    e = engine(("rules", "Be kind to everyone. No spam in the chat."),
               ("meetups", "The weekly meetup is held in the town library."),
               ("releases", "Version 2 of the launcher ships every spring with new maps."))
    answer = e.ask("What colour are the launcher icons?")  # the files never say colour or icons
    assert not answer.answered
    assert answer.topics[0] == "Releases" and sorted(answer.topics) == ["Meetups", "Releases", "Rules"]


def test_what_time_prefers_a_clock_time_to_a_weekday() -> None:
    e = engine(("meetup", "The weekly meetup in the town library is held every Friday.\n\n"
                          "The weekly meetup in the town library starts at 7 pm."))
    assert "7 pm" in e.ask("What time is the weekly meetup in the town library?").passages[0].quote
    assert "Friday" in e.ask("When is the weekly meetup in the town library held?").passages[0].quote


def test_an_email_or_a_link_question_finds_the_address() -> None:
    e = engine(("contact", "The committee meets once a month in the café.\n\n"
                           "You can reach the whole committee at committee@club.org.uk.\n\n"
                           "Sign-ups for the tournament open in March: https://club.org.uk/signup"))
    assert "committee@club.org.uk" in e.ask("whats the email for the committee").passages[0].quote
    assert "https://club.org.uk/signup" in e.ask("wheres the link for tournament sign-ups?").passages[0].quote


def test_the_words_a_question_uses_and_the_knowledge_base_never_does_are_listed_as_written() -> None:
    e = engine(("rules", "This server follows our Code of Conduct, based on the Contributor Covenant."))
    # "coc" and "SSO" are unused; "conduct" is used, "covenent" is a misspelling of a used word
    assert e.unused_words("whats the CoC based on, the covenent? and SSO?") == ("coc", "sso")
    assert e.unused_words("What is the Code of Conduct based on?") == ()


def test_a_lowercase_word_is_not_guessed_to_be_a_name_the_files_only_write_capitalised() -> None:
    e = engine(("server", "Join our Discord server to chat. Moderators on Discord answer within a day.\n\n"
                          "Members pay £10 a month; students pay £6 with a valid student card."))
    # "discount" is a word the files never use; "Discord" shares its first letters but is a name
    assert e.unused_words("is there a discount for moderators?") == ("discount",)
    assert not e.ask("is there a discount for moderators?").answered
    # a name typed as a name keeps its guessed spelling: "Discorf" is "Discord"
    assert "Discord" in e.ask("Who answers on Discorf?").passages[0].quote


def test_written_as_name_needs_a_capital_inside_a_sentence_everywhere() -> None:
    from bot.core.answering.names import written_as_name
    e = engine(("a", "Chat with us on Discord. Read the Charter. Treaty rules apply.\n\n"
                     "Union matters: the Union meets in the Charter room. The treaty was signed."))
    snap, state = e.snapshot, e._state
    def named(word: str) -> bool:
        return written_as_name(state.analyzer.terms(word)[0], snap.index, snap.chunks, state.analyzer)
    assert named("Discord") and named("Charter")  # capitalised inside a sentence, never lowercase
    assert not named("treaty")  # written lowercase once
    assert not named("union")  # an everyday English word (inside names like "European Union")


def test_an_abbreviation_is_spelled_out_from_the_files_for_the_moderators() -> None:
    from bot.core.answering.acronyms import spelled_out
    texts = ["This server follows our Code of Conduct. Team plans include single sign-on (SAML).",
             "Open a pull request; every pull request is reviewed. A public review follows."]
    assert spelled_out("CoC", texts) == "Code of Conduct"
    assert spelled_out("sso", texts) == "single sign-on"  # a hyphenated part is a word
    assert spelled_out("pr", texts) == "pull request"  # twice, beside "public review" once
    assert spelled_out("cla", texts) is None and spelled_out("ads", texts) is None  # none; a word
    e = engine(("rules", texts[0]))
    assert e.spelled_out("coc") == "Code of Conduct"


def test_a_hyphenated_word_is_the_part_the_knowledge_base_uses() -> None:
    """"ex-Soviet" is "Soviet" when the knowledge base never says "ex": not a word it never uses
    that outweighs the rest; a capitalised part is still a name ("Saint-Girard")."""
    e = engine(("union", "Belarus is the most Soviet of the former republics, its capital the most "
                         "Soviet city."),
               ("trade", "Trade between the republics fell in winter."))
    answer = e.ask("Which ex-Soviet republic feels the most Soviet?")
    assert answer.passages and answer.passages[0].citation.doc_id == "union"
    assert e.unused_words("Which ex-Soviet republic feels the most Soviet?") == ("feels",)
    assert not e.ask("What did Saint-Girard say about the former republics?").passages
