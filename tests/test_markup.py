"""Markdown inline markup is read as the rendered page shows it; the words stay as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import build_snapshot
from bot.core.knowledge.documents import parse_document
from bot.core.knowledge.markup import read_markup


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("To get the **Verified** role", "To get the Verified role"),
        ("_italic_, __bold__, ***both*** and *a* b *c*", "italic, bold, both and a b c"),
        ("**bold _and_ italic**", "bold and italic"),
        ("read the [rules page](https://example.com/rules).", "read the rules page (https://example.com/rules)."),
        ('the [guide](docs/guide.md "Guide") and [y][ref]', "the guide and y"),
        ("[https://example.com](https://example.com)", "https://example.com"),
        ("![A map of the town](img/map.png) and <https://a.example/b>", "A map of the town and https://a.example/b"),
        ("in July[^1].", "in July."),
        ("H<sub>2</sub>O<br>next", "H2O next"),
        ("<details><summary>How do I get roles?</summary>", "How do I get roles?"),
        ('<p align="center"><img src="logo.png" alt="The logo" width=50> and <IMG SRC=x.png></p>',
         "The logo and "),
        ("use `a*b*c` or ``x ` y``", "use a*b*c or x ` y"),
        ("| `5`, `30` |", "| 5, 30 |"),  # two code spans, not one from the first tick to the last
        ("a **bold claim\nwrapped** and a [link\ntext](https://a.example/)",  # a wrapped paragraph
         "a bold claim\nwrapped and a link\ntext (https://a.example/)"),
        # Not markup: CommonMark's flanking rules, escapes, struck-out text, comparisons.
        ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),
        ("a snake_case_name and x_1, y_2", "a snake_case_name and x_1, y_2"),
        (r"\*not\* emphasis, \[not\](a link)", "*not* emphasis, [not](a link)"),
        (r"code keeps `\*` as written", r"code keeps \* as written"),
        ("~~old price~~ new price", "~~old price~~ new price"),
        ("if a < b and b > c", "if a < b and b > c"),
        ("price: 5*", "price: 5*"),
    ],
)
def test_inline_markup_is_read_as_rendered(line: str, read: str) -> None:
    assert read_markup(line) == read


MARKDOWN = (b"---\ntitle: Server guide\n---\n\n# The **Verified** role\n\n"
            b"To get the **Verified** role, read the [rules page](https://example.com/rules) and\n"
            b"react in `#welcome`.\n\n![](logo.png)\n\n"
            b"```\nkeep **this** as code\n```\n\nRun *this\n```\n*not this*\n```\nor* that.\n")


def test_a_markdown_file_is_quoted_without_its_markup_and_a_text_file_as_written() -> None:
    doc = parse_document(Path("guide.md"), MARKDOWN)
    assert [(p.section, p.text) for p in doc.paragraphs] == [
        ("The Verified role",
         "To get the Verified role, read the rules page (https://example.com/rules) and\nreact in #welcome."),
        ("The Verified role", "```\nkeep **this** as code\n```"),
        # Markup never pairs across a code block, whose lines stay as written.
        ("The Verified role", "Run *this\n```\n*not this*\n```\nor* that."),
    ]
    assert doc.paragraphs[0].line == 7
    text = parse_document(Path("guide.txt"), MARKDOWN)
    assert "**Verified**" in text.paragraphs[0].text  # a .txt file is not Markdown
    engine = Engine(build_snapshot([doc], [], RetrievalSettings()))
    passage = engine.ask("How do I get the Verified role?").passages[0]
    assert passage.quote.startswith("To get the Verified role, read the rules page (https://example.com/rules)")
    assert not engine.ask("What is in logo.png?").answered


REFERENCES = (b"---\ntitle: Server rules\n---\n\n# Rules, see [the wiki][]\n\n"
              b"Read the [code of conduct][coc] before posting. Appeals go to the [Moderation  Team]\n"
              b"and [[sic]] notes stay [sic]; the ![logo][img] and [docs][guide] are local,\n"
              b"[x][gone] undefined.\n\n"
              b"[coc]: https://example.com/conduct \"Code of conduct\"\n"
              b"[moderation team]: <https://example.com/mods>\n"
              b"  [the wiki]: https://example.com/wiki\n[img]: logo.png\n[guide]: docs/guide.md\n"
              b"[coc]: https://example.com/second-definition-is-ignored\n\n"
              b"[later]: https://example.com/later\n"
              b"Text right after a definition is a paragraph, and [later] is a link.\n\n"
              b"Members who break the rules twice are banned.\n[coc]: https://example.com/not-a-definition\n")


def test_reference_links_are_read_through_their_definitions_which_are_not_text() -> None:
    doc = parse_document(Path("rules.md"), REFERENCES)
    assert [(p.section, p.text, p.line) for p in doc.paragraphs] == [
        ("Rules, see the wiki (https://example.com/wiki)",
         "Read the code of conduct (https://example.com/conduct) before posting. Appeals go to the "
         "Moderation  Team (https://example.com/mods)\n"
         "and [[sic]] notes stay [sic]; the logo and docs are local,\nx undefined.", 7),
        ("Rules, see the wiki (https://example.com/wiki)",
         "Text right after a definition is a paragraph, and later (https://example.com/later) is a link.",
         19),
        # A definition cannot interrupt a paragraph (CommonMark): this one is text.
        ("Rules, see the wiki (https://example.com/wiki)",
         "Members who break the rules twice are banned.\n"
         "[coc]: https://example.com/not-a-definition", 21),
    ]
    text = parse_document(Path("rules.txt"), REFERENCES)  # a .txt file is not Markdown
    assert any(p.text.startswith("[coc]: https://example.com/conduct") for p in text.paragraphs)
    engine = Engine(build_snapshot([doc], [], RetrievalSettings()))
    passage = engine.ask("Where is the code of conduct?").passages[0]
    assert passage.quote.startswith("Read the code of conduct (https://example.com/conduct) before posting.")


TABLE = (b"---\ntitle: Plans\n---\n\n# Plans\n\n"
         b"| Plan | Price | **Storage** |\n|------|------:|:--------:|\n| Free | $0 | 5 GB |\n"
         b"| Pro | $10 per month | 100 GB |\n"
         b"| Team | $25 per user | 1 TB |\n\nUpgrades take effect at once.\n\n"
         b"Plain text -- with dashes\n--- | ---\n\n```\n| a | b |\n|---|---|\n```\n")


def test_a_table_delimiter_row_is_markup_and_its_header_row_speaks_for_every_row() -> None:
    doc = parse_document(Path("plans.md"), TABLE)
    table = doc.paragraphs[0]
    assert table.text == ("| Plan | Price | Storage |\n| Free | $0 | 5 GB |\n"
                          "| Pro | $10 per month | 100 GB |\n| Team | $25 per user | 1 TB |")
    assert table.table_header == "| Plan | Price | Storage |"
    assert table.context == "Plans\n| Plan | Price | Storage |"
    assert doc.paragraphs[1].table_header is None and doc.paragraphs[1].context == "Plans"
    # A delimiter under a line of text is the delimiter of a table whose header is that line
    # (GitHub renders it so); in a code block it is code.
    assert doc.paragraphs[2].text == "Plain text -- with dashes"
    assert doc.paragraphs[3].text == "```\n| a | b |\n|---|---|\n```"
    assert doc.paragraphs[3].table_header is None
    assert "|------|" in parse_document(Path("plans.txt"), TABLE).paragraphs[0].text  # .txt: as written
    engine = Engine(build_snapshot([doc], [], RetrievalSettings()))
    # "storage" is only in the header: the row is the answer all the same.
    answer = engine.ask("How much storage does the Team plan get?")
    assert answer.answered and answer.passages[0].quote.endswith("| Team | $25 per user | 1 TB |")


SETEXT = (b"---\ntitle: Guide\n---\n\nGetting *started*\n===============\n\n"
          b"Install the app and sign in.\n\nBilling\n-------\n\nInvoices are sent monthly.\n\n* * *\n\n"
          b"Refunds are possible within 14 days.\nA second line.\n---\nThe last words.\n\n"
          b"```\nkept\n---\n```\n\n===\n")


def test_setext_headings_name_their_section_and_thematic_breaks_are_markup() -> None:
    doc = parse_document(Path("guide.md"), SETEXT)
    assert [(p.section, p.text) for p in doc.paragraphs] == [
        ("Getting started", "Install the app and sign in."),
        ("Billing", "Invoices are sent monthly."),
        # A break ends a paragraph; under two lines of text "---" is a break, not a heading,
        # so no sentence becomes a heading and disappears from the quotes.
        ("Billing", "Refunds are possible within 14 days.\nA second line."),
        ("Billing", "The last words."),
        ("Billing", "```\nkept\n---\n```"),  # code: as written
        ("Billing", "==="),  # over nothing, "===" is text
    ]
    text = parse_document(Path("guide.txt"), SETEXT)  # a .txt file is not Markdown
    assert text.paragraphs[0].text == "Getting *started*\n==============="


LEAD_INS = (b"---\ntitle: Setup\n---\n\n# Install\n\nTo install the client:\n\n"
            b"1. Download the installer.\n2. Run it. Then sign in.\n\nSupported systems:\n\n"
            b"- Windows 10 or newer\n- Ubuntu 22.04\n\n"
            b"Prices:\n\n| Plan | Price |\n|---|---|\n| Pro | $10 |\n\n"
            b"It works as follows:\n\nThe client syncs every hour.\n\nIn code:\n\n```\n- not a list\n```\n\n"
            b"Before a heading:\n\n# Usage\n\n- Open the app.\n")


def test_a_lead_in_is_one_paragraph_with_the_list_or_table_it_introduces() -> None:
    doc = parse_document(Path("setup.md"), LEAD_INS)
    assert [(p.section, p.line, p.text) for p in doc.paragraphs] == [
        ("Install", 7, "To install the client:\n1. Download the installer.\n2. Run it. Then sign in."),
        ("Install", 12, "Supported systems:\n- Windows 10 or newer\n- Ubuntu 22.04"),
        ("Install", 17, "Prices:\n| Plan | Price |\n| Pro | $10 |"),
        ("Install", 23, "It works as follows:"),  # prose follows: each stays its own paragraph
        ("Install", 25, "The client syncs every hour."),
        ("Install", 27, "In code:"),
        ("Install", 29, "```\n- not a list\n```"),
        ("Install", 33, "Before a heading:"),
        ("Usage", 37, "- Open the app."),
    ]
    assert doc.paragraphs[2].table_header == "| Plan | Price |"
    engine = Engine(build_snapshot([doc], [], RetrievalSettings()))
    # Quoted one item per line, as the page shows them (the only line breaks a quote holds).
    assert engine.ask("Which systems are supported?").passages[0].quote == (
        "Supported systems:\n- Windows 10 or newer\n- Ubuntu 22.04")
    steps = engine.ask("How do I install the client?").passages[0].quote
    assert steps == "To install the client:\n1. Download the installer.\n2. Run it."  # three sentences
