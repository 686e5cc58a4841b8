"""/kb gaps as text: what moderators read to fix the knowledge base's words (no Discord here)."""

from __future__ import annotations

from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import build_snapshot
from bot.core.knowledge.documents import parse_document
from bot.moderation.records import DeclinedGap
from bot.moderation.reports import gaps_report

RULES = ("---\ntitle: Rules\n---\n\nThis server follows our Code of Conduct, based on the Contributor "
         "Covenant.\n\nJob postings are welcome in #jobs.\n")


def gap(question: str, count: int) -> DeclinedGap:
    return DeclinedGap(question, question.casefold(), count, count, 0.0)


def test_gaps_list_the_unused_words_most_asked_first_with_what_the_files_may_mean() -> None:
    engine = Engine(build_snapshot([parse_document("rules.md", RULES.encode())], [], RetrievalSettings()))
    text = gaps_report([gap("whats the coc based on", 3), gap("are job ads allowed?", 1),
                        gap("what does the coc say about ads", 2)], [], engine, True)
    lines = text.splitlines()
    at = lines.index("**Words of those questions the knowledge base never uses**")
    assert lines[at + 1] == ("• `coc` — 5× (e.g. “whats the coc based on”) — "
                             "the files say “Code of Conduct”?")
    assert lines[at + 2] == "• `ads` — 3× (e.g. “are job ads allowed?”)"  # a word: no spelling-out
    assert lines[at + 3] == "• `allowed` — 1× (e.g. “are job ads allowed?”)"
    assert "aliases.yaml" in lines[at + 4]
    # questions in the knowledge base's own words: nothing to alias
    text = gaps_report([gap("what is the Code of Conduct based on?", 1)], [], engine, True)
    assert "None: the declined questions use the knowledge base's own words." in text
