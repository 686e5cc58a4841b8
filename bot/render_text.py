"""Plain-text rendering of an :class:`~bot.core.answer.Answer` for the command line.

Everything printed comes from knowledge files or questions, so control characters are escaped
(:func:`terminal_safe`): a quote holding ``ESC [2J`` must not clear the reader's terminal, and a
newline in a title or file name must not forge another line of output.
"""

from __future__ import annotations

import re
import textwrap

from bot.core.answer import Answer

MAX_TOPICS = 8  # titles named in a decline; a large knowledge base would flood the terminal
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters (incl. newlines and bidirectional overrides) shown as escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def render_text(answer: Answer, width: int = 88, color: bool = False) -> str:
    """Quotes with their citations; matched terms marked when ``color`` (a terminal)."""
    if not answer.answered:
        lines = [terminal_safe(answer.message or "Nothing in the knowledge base answers this.")]
        if answer.topics:
            shown = "; ".join(terminal_safe(t) for t in answer.topics[:MAX_TOPICS])
            more = len(answer.topics) - MAX_TOPICS
            lines.append("The knowledge base covers: " + shown + (f"; and {more} more" if more > 0 else ""))
        return "\n".join(lines)
    out: list[str] = []
    for n, passage in enumerate(answer.passages, 1):
        quote = passage.quote
        pieces: list[str] = []
        last = 0
        for start, end in passage.highlights:
            pieces.append(terminal_safe(quote[last:start]))
            marked = terminal_safe(quote[start:end])
            pieces.append("\x1b[1m" + marked + "\x1b[0m" if color else marked)
            last = end
        pieces.append(terminal_safe(quote[last:]))
        wrapped = textwrap.fill(f"“{''.join(pieces)}”", width=width, initial_indent=f"{n}. ",
                                subsequent_indent="   ")
        out.append(wrapped)
        out.append("   — " + terminal_safe(passage.citation.describe()))
        if passage.missing:
            out.append("   (not found in the quote: " + terminal_safe(", ".join(passage.missing)) + ")")
        if passage.citation.link:
            out.append("   " + terminal_safe(passage.citation.link))
        out.append("")
    return "\n".join(out).rstrip()
