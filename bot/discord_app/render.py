"""Answer → Discord embed and buttons, as pure functions (no network, no client).

Why pure: every limit Discord enforces (content 2000, title 256, description 4096, field value
1024, footer 2048, 6000 for all embeds of a message, 25 fields, 5 buttons a row) and every
mention rule can then be checked by property tests on any input, and the cog only sends what
these functions return.

Text from users (questions) and from knowledge files (quotes, titles) is untrusted here: markdown
is escaped, mentions are neutralised with a zero-width space (besides ``allowed_mentions`` being
none on every send), and every field is cut to fit, on a character boundary, with "…".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from bot.core.answer import Answer, Citation, Outcome, Passage
from bot.core.text.chars import ELLIPSIS, ZERO_WIDTH_SET

# Discord limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
TOTAL_EMBED_LIMIT = 6000
MAX_FIELDS = 25
MAX_BUTTONS_PER_ROW = 5
MAX_ROWS = 5
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
URL_LIMIT = 512

ANSWER_COLOUR = 0x2B6CB0
DECLINE_COLOUR = 0x718096

ZWSP = "\u200b"  # after an "@", it keeps a mention from pinging

# custom_id templates of the persistent buttons; the cog registers matching DynamicItems.
MORE_ID = "kb:more:{page}"
FEEDBACK_ID = "kb:fb:{vote}:{page}"
MORE_PATTERN = r"kb:more:(?P<page>[0-9]{1,2})"
FEEDBACK_PATTERN = r"kb:fb:(?P<vote>[01]):(?P<page>[0-9]{1,2})"

_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]+)", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"'*~|`()\[\]\\]*[^\s<>\"'*~|`()\[\]\\.,;:!?]")  # no markup inside
_ALWAYS_ESCAPE = re.compile(r"([\\*_~|`\[\]()])")
_LINE_START = re.compile(r"(^|\n)([ \t]*)([>#\-+*]|\d+\.)")
_URL_ESCAPES = ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("@", "%40"))
_CONTROL_WS = str.maketrans(
    {"\n": " ", "\r": " ", "\t": " ", "\v": " ", "\f": " ", "\u2028": " ", "\u2029": " ", "\x85": " "}
)
# In a quote a line break is kept (list items and table rows are quoted one per line); every
# other control white space is still a space.
_QUOTE_WS = str.maketrans({k: v for k, v in _CONTROL_WS.items() if k != ord("\n")})


# --------------------------------------------------------------------------- text safety
def neutralise_mentions(text: str) -> str:
    """``@everyone``, ``@here``, ``<@123>``, ``<@!123>``, ``<@&123>`` can no longer mention anyone."""
    return _MENTION.sub(lambda m: "@" + ZWSP + m.group(1), text)


def escape_markdown(text: str, at_line_start: bool = True) -> str:
    """Escape Discord markdown so knowledge text renders literally; bare URLs stay clickable.

    ``at_line_start``: whether ``text`` begins a line (then a leading ``>``, ``#``, ``-`` … is
    escaped too); False for a piece in the middle of a line.
    """
    out: list[str] = []
    last = 0
    for m in _URL.finditer(text):
        out.append(_escape_plain(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_escape_plain(text[last:]))
    escaped = "".join(out)

    def mark(m: re.Match[str]) -> str:
        if m.start() == 0 and not m.group(1) and not at_line_start:
            return m.group(0)
        return m.group(1) + m.group(2) + "\\" + m.group(3)

    return _LINE_START.sub(mark, escaped)


def _escape_plain(text: str) -> str:
    return _ALWAYS_ESCAPE.sub(r"\\\1", text)


def safe(text: str, at_line_start: bool = False) -> str:
    """Markdown escaped and mentions neutralised: for any untrusted text shown by the bot."""
    return neutralise_mentions(escape_markdown(text, at_line_start))


def fit(raw: str, limit: int, transform: Callable[[str], str] = lambda s: s) -> str:
    """``transform(raw)`` cut (on the raw side, with "…") until it is at most ``limit`` characters."""
    out = transform(raw)
    if len(out) <= limit:
        return out
    n = min(len(raw), limit)
    while n > 0:
        out = transform(raw[:n].rstrip() + ELLIPSIS)
        if len(out) <= limit:
            return out
        n -= max(1, len(out) - limit)
    return ELLIPSIS[:limit]


def clamp(text: str, limit: int) -> str:
    """Last-resort cut of already-rendered text."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS[: limit > 0]


def visible(text: str) -> bool:
    """True when ``text`` has something a reader can see (not only spaces or zero-width marks)."""
    return any(
        ch.isprintable() and not ch.isspace() and ch not in ZERO_WIDTH_SET for ch in text
    )


def safe_url(url: str | None) -> str | None:
    """An http(s) URL short enough for a button and safe inside a markdown link, else None."""
    if not url or not url.startswith(("https://", "http://")):
        return None
    for raw, encoded in _URL_ESCAPES:
        url = url.replace(raw, encoded)
    if len(url) > URL_LIMIT or any(ch.isspace() for ch in url):
        return None
    return url


# --------------------------------------------------------------------------- components
@dataclass(frozen=True)
class ButtonSpec:
    """A button as data; the cog turns it into a ``discord.ui`` item (persistent by custom_id)."""

    label: str
    style: str  # "primary" | "secondary" | "success" | "danger" | "link"
    custom_id: str | None = None
    url: str | None = None
    row: int = 0

    def to_dict(self) -> dict[str, Any]:
        styles = {"primary": 1, "secondary": 2, "success": 3, "danger": 4, "link": 5}
        out: dict[str, Any] = {"type": 2, "style": styles[self.style], "label": self.label}
        if self.custom_id is not None:
            out["custom_id"] = self.custom_id
        if self.url is not None:
            out["url"] = self.url
        return out


@dataclass(frozen=True)
class Card:
    """What one bot message shows: an embed (as a dict in Discord's shape), buttons, plain content."""

    embed: dict[str, Any] | None = None
    buttons: tuple[ButtonSpec, ...] = ()
    content: str | None = None
    page: int = 0
    pages: int = 1

    def components(self) -> list[dict[str, Any]]:
        rows: dict[int, list[dict[str, Any]]] = {}
        for b in self.buttons:
            rows.setdefault(b.row, []).append(b.to_dict())
        return [{"type": 1, "components": rows[r]} for r in sorted(rows)]


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6000 total of a message's embeds."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    for f in embed.get("fields", []):
        total += len(f.get("name", "")) + len(f.get("value", ""))
    return total


# --------------------------------------------------------------------------- answers
def question_title(question: str) -> str:
    """The question as an embed title: one line, escaped, at most 256 characters."""
    one_line = " ".join(question.split())
    if not visible(one_line):
        return "Your question"
    return fit(one_line, TITLE_LIMIT, safe)


def _neutralise_with_spans(text: str, spans: Iterable[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Neutralise mentions in raw ``text`` and move ``spans`` over the inserted zero-width spaces."""
    inserted = [m.start() + 1 for m in _MENTION.finditer(text)]
    if not inserted:
        return text, list(spans)
    out = neutralise_mentions(text)

    def moved(p: int) -> int:
        return p + sum(1 for i in inserted if i <= p)

    return out, [(moved(s), moved(e) if e > s else moved(s)) for s, e in spans]


def bold_spans(quote: str, spans: Iterable[tuple[int, int]]) -> str:
    """Escape ``quote`` and wrap the (merged, clamped) spans in ``**``: matched terms in bold.

    Mentions are neutralised on the raw text first, so bold markers can never split a mention
    from its zero-width space.
    """
    quote, spans = _neutralise_with_spans(quote, spans)
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(quote), e)) for s, e in spans):
        if end <= start:
            continue
        between = quote[merged[-1][1] : start] if merged else "\n"
        if merged and start <= merged[-1][1] + 1 and not between.strip() and "\n" not in between:
            merged[-1][1] = max(merged[-1][1], end)  # adjacent terms: one bold run, no "****"
        else:
            merged.append([start, end])
    out: list[str] = []
    last = 0

    def esc(a: int, b: int) -> str:
        return escape_markdown(quote[a:b], at_line_start=a == 0 or quote[a - 1] == "\n")

    for start, end in merged:
        inner = quote[start:end]
        start, end = start + len(inner) - len(inner.lstrip()), end - (len(inner) - len(inner.rstrip()))
        if end <= start:
            continue
        out.append(esc(last, start))
        out.append("**" + esc(start, end) + "**")
        last = end
    out.append(esc(last, len(quote)))
    return "".join(out)


def citation_line(citation: Citation, limit: int = 400) -> str:
    """ "— Title · ¶2 · 2022-11-04", linked to the quoted sentence when the document has a url."""
    title = fit(" ".join(citation.title.split()) or citation.doc_id, 150, safe)
    parts = [f"*{title}*"]
    if citation.section:
        parts.append(fit(" ".join(citation.section.split()), 80, safe))
    parts.append(citation.location)
    if citation.published:
        parts.append(fit(citation.published, 40, safe))
    text = " · ".join(parts)
    link = safe_url(citation.link) or safe_url(citation.url)
    if link and len(text) + len(link) + 8 <= limit:
        return f"— [{text}]({link})"
    return clamp("— " + text, limit)


def passage_block(passage: Passage, limit: int) -> str:
    """A block quote with bold matched terms, then its citation (and, when the quote lacks a year,
    number or name the question gave, a line saying so); shortened (never mid-markup) to fit."""
    cite = citation_line(passage.citation, min(400, max(40, limit // 3)))
    if passage.missing:
        cite += "\n" + missing_line(passage.missing, min(200, max(40, limit // 4)))
    quote = passage.quote.translate(_QUOTE_WS).strip() or ELLIPSIS
    offset = len(passage.quote) - len(passage.quote.lstrip())
    spans = [(s - offset, e - offset) for s, e in passage.highlights]
    budget = limit - len(cite) - 4  # "> ", "\n", slack
    n = len(quote)
    while True:
        shown = quote if n >= len(quote) else quote[:n].rstrip() + ELLIPSIS
        body = "> " + bold_spans(shown, [(s, min(e, n)) for s, e in spans if s < n]).replace("\n", "\n> ")
        if len(body) <= budget or n <= 1:
            break
        n -= max(1, (len(body) - budget) // 2)
    return clamp(f"{body}\n{cite}", limit)


def missing_line(missing: Sequence[str], limit: int = 200) -> str:
    """"-# not found in the quote: 1990, Finland" (small text), escaped and cut to fit."""
    words = ", ".join(" ".join(w.split()) for w in missing)
    return "-# " + fit(f"not found in the quote: {words}", limit - 3, safe)


def page_count(passages: int, per_page: int) -> int:
    return max(1, -(-passages // per_page))


def render_answer(
    answer: Answer, page: int = 0, per_page: int = 3, *, title: str | None = None
) -> Card:
    """One page of an answer (or the decline) as a Card.

    ``title``: a title this function made before, kept (already escaped; mentions are neutralised
    again, which changes nothing in a title made here): a stored answer without its question
    (``moderation.log_questions`` off) keeps the title its message already shows. Else the question's.
    """
    if not answer.answered or not answer.passages:
        return render_decline(answer)
    pages = page_count(len(answer.passages), per_page)
    page = min(max(0, page), pages - 1)
    shown = answer.passages[page * per_page : (page + 1) * per_page]
    title = clamp(neutralise_mentions(title), TITLE_LIMIT) if title else question_title(answer.question)
    count = len(answer.passages)
    footer = f"{count} passage{'s' if count != 1 else ''} matched"
    if pages > 1:
        footer += f" · page {page + 1} of {pages}"
    footer += " · quotes are verbatim from the knowledge base"
    room = min(DESCRIPTION_LIMIT, TOTAL_EMBED_LIMIT - len(title) - len(footer))
    per_block = (room - 2 * (len(shown) - 1)) // len(shown)
    description = "\n\n".join(passage_block(p, per_block) for p in shown)
    embed = {
        "type": "rich",
        "title": title,
        "description": clamp(description, room),
        "color": ANSWER_COLOUR,
        "footer": {"text": footer},
    }
    return Card(embed, answer_buttons(shown, page, pages), page=page, pages=pages)


def answer_buttons(shown: Sequence[Passage], page: int, pages: int) -> tuple[ButtonSpec, ...]:
    buttons: list[ButtonSpec] = []
    if pages > 1:
        next_page = (page + 1) % pages
        label = f"More ({next_page + 1}/{pages})" if next_page else f"Back to start (1/{pages})"
        buttons.append(ButtonSpec(label, "primary", custom_id=MORE_ID.format(page=next_page)))
    buttons.append(ButtonSpec("Helpful", "success", custom_id=FEEDBACK_ID.format(vote=1, page=page)))
    buttons.append(ButtonSpec("Not helpful", "secondary", custom_id=FEEDBACK_ID.format(vote=0, page=page)))
    if shown:
        url = safe_url(shown[0].citation.link) or safe_url(shown[0].citation.url)
        if url:
            buttons.append(ButtonSpec("Open source", "link", url=url))
    return tuple(buttons)


def render_decline(answer: Answer, *, max_topics: int = 10) -> Card:
    """A short, friendly "not covered" naming what the bot knows about; never quotes any text."""
    reasons = {
        Outcome.EMPTY_QUESTION: "Your question is empty: ask it in words.",
        Outcome.ONLY_COMMON_WORDS: "Your question has only very common words; name the person, place, "
        "event or thing you want to know about.",
        Outcome.NO_KNOWLEDGE: "My knowledge base is empty at the moment.",
        Outcome.NO_MATCH: "I couldn't find this in my knowledge base.",
    }
    reason = reasons.get(answer.outcome, "I couldn't find this in my knowledge base.")
    lines = [reason]
    if answer.unused_words:
        words = ", ".join(f"“{fit(w, 40, safe)}”" for w in answer.unused_words)
        lines.append(f"My knowledge base never uses: {words}. Other words for them may find it.")
    topics = [t for t in answer.topics if visible(t)]
    if topics:
        lines.append("")
        lines.append("I can answer questions about:")
        for t in topics[:max_topics]:
            lines.append("• " + fit(" ".join(t.split()), 200, safe))
        if len(topics) > max_topics:
            lines.append(f"…and {len(topics) - max_topics} more (see `/sources`).")
    if answer.outcome is Outcome.EMPTY_QUESTION:
        lines.append("")
        lines.append("Try for example `/ask question: " + fit(_example(answer.topics), 120, safe) + "`")
    embed = {
        "type": "rich",
        "title": question_title(answer.question),
        "color": DECLINE_COLOUR,
        "description": clamp("\n".join(lines), DESCRIPTION_LIMIT),
        "footer": {"text": "Answers are verbatim quotes; I only answer from my knowledge base."},
    }
    return Card(embed, ())


def _example(topics: Sequence[str]) -> str:
    return f"What does the article say about {topics[0].split(':')[0][:60]}?" if topics else "What is …?"


# --------------------------------------------------------------------------- other cards
@dataclass(frozen=True)
class SourceRow:
    title: str
    published: str | None
    url: str | None
    size_chars: int
    chunks: int = 0


def render_sources(rows: Sequence[SourceRow]) -> Card:
    """/sources: title, date, link and size of every document, within the embed limits."""
    if not rows:
        return Card(
            {
                "type": "rich",
                "title": "Sources",
                "color": DECLINE_COLOUR,
                "description": "The knowledge base is empty.",
            },
        )
    footer = f"{len(rows)} document{'s' if len(rows) != 1 else ''}"
    description, shown = "", 0
    # Lines are escaped only until the description is full: a knowledge base of 100k
    # documents shows some dozens, and escaping the rest would be wasted work.
    for r in sorted(rows, key=lambda r: r.title.casefold()):
        title = fit(" ".join(r.title.split()), 150, safe)
        url = safe_url(r.url)
        head = f"[{title}]({url})" if url else f"**{title}**"
        details = [r.published or "undated", _size(r.size_chars)]
        if r.chunks:
            details.append(f"{r.chunks} passages")
        line = f"• {head} — {' · '.join(safe(d) for d in details)}"
        candidate = description + ("\n" if description else "") + line
        if len(candidate) > DESCRIPTION_LIMIT - 40:
            break
        description, shown = candidate, shown + 1
    if shown < len(rows):
        description += f"\n…and {len(rows) - shown} more."
    return Card(
        {
            "type": "rich",
            "title": "Sources",
            "color": ANSWER_COLOUR,
            "description": description,
            "footer": {"text": footer},
        },
    )


def _size(chars: int) -> str:
    if chars < 1000:
        return f"{chars} characters"
    if chars < 1_000_000:
        return f"{chars / 1000:.1f}k characters"
    return f"{chars / 1_000_000:.1f}M characters"


def render_help(topics: Sequence[str], *, per_page: int, max_passages: int) -> Card:
    """/help: how to ask, what the bot knows, how citations read."""
    known = [fit(" ".join(t.split()), 120, safe) for t in islice(filter(visible, topics), 10)]
    about = "\n".join("• " + t for t in known) or "Nothing yet: the knowledge base is empty."
    if len(topics) > len(known):
        about += f"\n…and {len(topics) - len(known)} more (`/sources`)."
    fields = [
        {
            "name": "How to ask",
            "value": "• `/ask question: …` (add `private: True` to see the answer alone)\n"
            "• send me a direct message\n• mention me in a channel: `@me your question`\n"
            "• right-click a message → Apps → **Answer this**",
            "inline": False,
        },
        {"name": "What I know about", "value": clamp(about, FIELD_VALUE_LIMIT), "inline": False},
        {
            "name": "How answers read",
            "value": "Each passage is a verbatim quote; the words that matched your question are **bold**, "
            "then its source: *title* · ¶ paragraph number · publication date (linked to the exact "
            f"sentence when the source is online). **More** shows further passages (up to {max_passages}, "
            f"{per_page} at a time); **Helpful** / **Not helpful** tell the moderators how I did.",
            "inline": False,
        },
        {
            "name": "Your data",
            "value": "I keep your questions, votes and the answers I sent you for a limited time, so the "
            "buttons keep working. `/forget-me` deletes them now.",
            "inline": False,
        },
    ]
    return Card(
        {
            "type": "rich",
            "title": "How to use this bot",
            "color": ANSWER_COLOUR,
            "description": "I answer questions with quotes from my knowledge base — never with made-up text.",
            "fields": fields,
        },
    )


def text_message(text: str) -> str:
    """Plain content (cooldown notice, apology): mentions neutralised, within 2000 characters."""
    return clamp(neutralise_mentions(text), CONTENT_LIMIT)
