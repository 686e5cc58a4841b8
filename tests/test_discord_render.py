"""The pure renderer: Discord limits and mention rules for any input (Hypothesis), and exact layouts."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.answer import Answer, Citation, Outcome, Passage
from bot.discord_app import render

RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>", re.IGNORECASE)
TRICKY = [
    "@everyone",
    "@here",
    "<@&123>",
    "<@456>",
    "<@!789>",
    "**",
    "__",
    "~~",
    "||",
    "`",
    "```",
    "> ",
    "# ",
    "- ",
    "1. ",
    "[x](https://e.org)",
    "\\",
    "\n",
    "\u200b",
    "\u202e",
    "🍅",
    "ش",
    "https://a.org/x_y*z",
]
texts = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=40)), max_size=60).map("".join)
long_texts = st.one_of(
    texts, st.text(min_size=0, max_size=7000), st.just("x" * 7000), st.just("@everyone " * 700)
)


@st.composite
def passages(draw: st.DrawFn) -> Passage:
    quote = draw(st.one_of(texts, st.text(max_size=3000)))
    n = len(quote)
    spans = tuple(draw(st.lists(st.tuples(st.integers(-5, n + 5), st.integers(-5, n + 5)), max_size=12)))
    url = draw(
        st.one_of(
            st.none(),
            st.just("https://example.org/a (b)"),
            st.just("https://x.org/" + "y" * 600),
            st.just("javascript:alert(1)"),
            st.just("https://e.org/@everyone/<@&1>"),
            st.text(max_size=30).map(lambda s: "https://e.org/" + s),
        )
    )
    citation = Citation(
        doc_id=draw(st.text(min_size=1, max_size=50)),
        title=draw(long_texts),
        published=draw(st.none() | texts),
        url=url,
        paragraphs=(draw(st.integers(1, 999)),),
        section=draw(st.none() | texts),
        link=None if url is None else url + "#:~:text=" + draw(st.text(max_size=50)),
    )
    return Passage(
        chunk_id=draw(st.text(max_size=120)),
        score=1.0,
        quote=quote,
        highlights=spans,
        text=quote,
        citation=citation,
        matched_terms=(),
        coverage=1.0,
    )


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    outcome = draw(st.sampled_from(list(Outcome)))
    ps = tuple(draw(st.lists(passages(), min_size=1, max_size=25))) if outcome is Outcome.ANSWERED else ()
    return Answer(
        question=draw(long_texts),
        outcome=outcome,
        passages=ps,
        message=draw(st.none() | texts),
        topics=tuple(draw(st.lists(long_texts, max_size=30))),
    )


def check_card(card: render.Card) -> None:
    assert card.content is None or len(card.content) <= render.CONTENT_LIMIT
    e = card.embed
    assert e is not None
    assert len(e.get("title", "")) <= render.TITLE_LIMIT
    assert len(e.get("description", "")) <= render.DESCRIPTION_LIMIT
    assert len(e.get("footer", {}).get("text", "")) <= render.FOOTER_LIMIT
    assert len(e.get("fields", [])) <= render.MAX_FIELDS
    for f in e.get("fields", []):
        assert len(f["name"]) <= render.FIELD_NAME_LIMIT and len(f["value"]) <= render.FIELD_VALUE_LIMIT
    assert render.embed_size(e) <= render.TOTAL_EMBED_LIMIT
    visible_text = [e.get("title", ""), e.get("description", ""), e.get("footer", {}).get("text", "")]
    visible_text += [f["value"] for f in e.get("fields", [])]
    for text in visible_text:
        assert not RAW_MENTION.search(text), text
    rows = card.components()
    assert len(rows) <= render.MAX_ROWS
    for row in rows:
        assert 1 <= len(row["components"]) <= render.MAX_BUTTONS_PER_ROW
        for b in row["components"]:
            assert 1 <= len(b["label"]) <= render.BUTTON_LABEL_LIMIT
            assert ("custom_id" in b) != ("url" in b)
            if "custom_id" in b:
                assert len(b["custom_id"]) <= render.CUSTOM_ID_LIMIT
            else:
                assert len(b["url"]) <= render.URL_LIMIT and b["url"].startswith(("https://", "http://"))
                assert not any(ch.isspace() for ch in b["url"])
    ids = [b["custom_id"] for r in rows for b in r["components"] if "custom_id" in b]
    assert len(ids) == len(set(ids))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(answers(), st.integers(-3, 30), st.integers(1, 5))
def test_every_page_of_any_answer_fits_discord_limits(answer: Answer, page: int, per_page: int) -> None:
    card = render.render_answer(answer, page, per_page)
    check_card(card)
    if answer.answered:
        assert 0 <= card.page < card.pages == render.page_count(len(answer.passages), per_page)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(answers(), st.sampled_from([o for o in Outcome if o is not Outcome.ANSWERED]))
def test_declines_never_quote_passage_text(answer: Answer, outcome: Outcome) -> None:
    marked = tuple(
        Passage(f"c{i}", 1.0, f"QUOTED{i}XYZ", (), f"QUOTED{i}XYZ text", passage("q", ()).citation, (), 0.1)
        for i in range(3)
    )
    declined = Answer(answer.question, outcome, marked, answer.message, answer.topics)
    card = render.render_answer(declined)
    check_card(card)
    assert not card.buttons
    assert "QUOTED" not in card.embed["description"]
    assert not any(line.startswith("> ") for line in card.embed["description"].splitlines())


def unmark(rendered: str) -> str:
    """Undo bold markers, backslash escapes and inserted zero-width spaces."""
    out, i = [], 0
    while i < len(rendered):
        if rendered[i] == "\\" and i + 1 < len(rendered):
            out.append(rendered[i + 1])
            i += 2
        elif rendered.startswith("**", i):
            i += 2
        else:
            out.append(rendered[i])
            i += 1
    return "".join(out).replace("@\u200b", "@")


@settings(max_examples=400, deadline=None)
@given(st.one_of(texts, st.text(max_size=300)).filter(lambda s: "\u200b" not in s), st.data())
def test_bold_spans_keeps_the_quote_verbatim(quote: str, data: st.DataObject) -> None:
    n = len(quote)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), max_size=8))
    rendered = render.bold_spans(quote, spans)
    assert unmark(rendered) == quote
    assert not RAW_MENTION.search(rendered)


@given(st.text(max_size=7000))
@settings(max_examples=200, deadline=None)
def test_sources_help_and_messages_fit(text: str) -> None:
    rows = [render.SourceRow(text, text[:20] or None, "https://e.org/" + text[:30], len(text), 3)] * 300
    check_card(render.render_sources(rows))
    check_card(render.render_help([text] * 40, per_page=3, max_passages=9))
    message = render.text_message(text)
    assert len(message) <= render.CONTENT_LIMIT and not RAW_MENTION.search(message)


# --------------------------------------------------------------------------- exact layouts
def citation(url: str | None = "https://example.org/a") -> Citation:
    return Citation(
        "a", "The *Title*", "2022-11-04", url, (5,), None, None if url is None else url + "#:~:text=Water"
    )


def passage(
    quote: str, spans: tuple[tuple[int, int], ...], url: str | None = "https://example.org/a"
) -> Passage:
    return Passage("a#p5", 2.5, quote, spans, quote, citation(url), ("water",), 1.0)


def test_answer_layout_quote_bold_citation_link_and_buttons() -> None:
    answer = Answer(
        "How often to _water_?", Outcome.ANSWERED, (passage("Water deeply, twice a week.", ((0, 5),)),)
    )
    card = render.render_answer(answer)
    assert card.embed["title"] == "How often to \\_water\\_?"
    assert card.embed["description"] == (
        "> **Water** deeply, twice a week.\n"
        "— [*The \\*Title\\** · ¶5 · 2022-11-04](https://example.org/a#:~:text=Water)"
    )
    assert card.embed["footer"]["text"] == "1 passage matched · quotes are verbatim from the knowledge base"
    assert [b.to_dict() for b in card.buttons] == [
        {"type": 2, "style": 3, "label": "Helpful", "custom_id": "kb:fb:1:0"},
        {"type": 2, "style": 2, "label": "Not helpful", "custom_id": "kb:fb:0:0"},
        {"type": 2, "style": 5, "label": "Open source", "url": "https://example.org/a#:~:text=Water"},
    ]


def test_no_url_means_plain_citation_and_no_link_button() -> None:
    answer = Answer("q", Outcome.ANSWERED, (passage("Water deeply.", ((0, 5),), url=None),))
    card = render.render_answer(answer)
    assert card.embed["description"].endswith("\n— *The \\*Title\\** · ¶5 · 2022-11-04")
    assert all(b.style != "link" for b in card.buttons)


def test_markdown_at_quote_start_and_inside_is_escaped() -> None:
    rendered = render.bold_spans("# Not a heading > or *bold* `code` ||spoiler||", ())
    assert rendered == "\\# Not a heading > or \\*bold\\* \\`code\\` \\|\\|spoiler\\|\\|"


def test_pages_and_more_button_cycle() -> None:
    answer = Answer("water", Outcome.ANSWERED, tuple(passage(f"Water {i}.", ((0, 5),)) for i in range(7)))
    first = render.render_answer(answer, 0, 3)
    last = render.render_answer(answer, 2, 3)
    assert (first.page, first.pages, last.page) == (0, 3, 2)
    assert first.buttons[0].label == "More (2/3)" and first.buttons[0].custom_id == "kb:more:1"
    assert last.buttons[0].label == "Back to start (1/3)" and last.buttons[0].custom_id == "kb:more:0"
    assert "**Water** 6." in last.embed["description"] and "**Water** 0." not in last.embed["description"]
    assert "page 3 of 3" in last.embed["footer"]["text"]


def test_decline_lists_topics_and_points_to_sources_when_many() -> None:
    topics = tuple(f"Topic {i}" for i in range(12))
    card = render.render_decline(Answer("capital of Peru?", Outcome.NO_MATCH, (), "x", topics))
    text = card.embed["description"]
    assert text.startswith(
        "I couldn't find this in my knowledge base.\n\nI can answer questions about:\n• Topic 0"
    )
    assert "• Topic 9" in text and "Topic 10" not in text and "…and 2 more (see `/sources`)." in text


def test_a_decline_names_the_words_the_knowledge_base_never_uses_neutralised() -> None:
    answer = Answer("how do i ping @everyone?", Outcome.NO_MATCH, (), "x", ("Rules",),
                    ("ping", "@everyone", "*x*"))
    text = render.render_decline(answer).embed["description"]
    line = text.splitlines()[1]
    assert line.startswith("My knowledge base never uses: “ping”, “") and "Other words for them" in line
    assert "@everyone" not in text and "*x*" not in text  # mentions and markup neutralised
    plain = render.render_decline(Answer("q", Outcome.NO_MATCH, (), "x", ("Rules",)))
    assert "never uses" not in plain.embed["description"]


def test_unsafe_urls_are_refused_or_encoded() -> None:
    assert render.safe_url("javascript:alert(1)") is None
    assert render.safe_url("https://e.org/" + "x" * 600) is None
    assert render.safe_url("https://en.wikipedia.org/wiki/A_(b)") == "https://en.wikipedia.org/wiki/A_%28b%29"


def test_a_quote_of_list_items_keeps_one_item_per_line_each_quoted_and_escaped() -> None:
    quote = "Supported systems:\n- Windows 10\n- @everyone # Ubuntu"
    answer = Answer("q", Outcome.ANSWERED, (passage(quote, ((10, 17), (21, 28), (29, 31))),))
    lines = render.render_answer(answer).embed["description"].split("\n")
    # Every line stays in the block quote, a line's "- " reads as written, mentions are inert, and
    # bold never runs across a line break (the highlights "Windows" and "10" are one run).
    assert lines[:3] == ["> Supported **systems**:", "> \\- **Windows 10**", "> \\- @\u200beveryone # Ubuntu"]
    assert render.bold_spans("a b\nc", ((0, 1), (2, 3), (4, 5))) == "**a b**\n**c**"
