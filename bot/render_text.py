"""Plain-text rendering of an :class:`~bot.core.answer.Answer` for the command line."""

from __future__ import annotations

import textwrap

from bot.core.answer import Answer

MAX_TOPICS = 8  # titles named in a decline; a large knowledge base would flood the terminal


def render_text(answer: Answer, width: int = 88, color: bool = False) -> str:
    """Quotes with their citations; matched terms marked when ``color`` (a terminal)."""
    if not answer.answered:
        lines = [answer.message or "Nothing in the knowledge base answers this."]
        if answer.topics:
            shown = "; ".join(answer.topics[:MAX_TOPICS])
            more = len(answer.topics) - MAX_TOPICS
            lines.append("The knowledge base covers: " + shown + (f"; and {more} more" if more > 0 else ""))
        return "\n".join(lines)
    out: list[str] = []
    for n, passage in enumerate(answer.passages, 1):
        quote = passage.quote
        if color:
            for start, end in reversed(passage.highlights):
                quote = quote[:start] + "\x1b[1m" + quote[start:end] + "\x1b[0m" + quote[end:]
        wrapped = textwrap.fill(f"“{quote}”", width=width, initial_indent=f"{n}. ",
                                subsequent_indent="   ")
        out.append(wrapped)
        out.append("   — " + passage.citation.describe())
        if passage.citation.link:
            out.append("   " + passage.citation.link)
        out.append("")
    return "\n".join(out).rstrip()
