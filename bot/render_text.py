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
        if answer.unused_words:
            words = ", ".join(f"“{terminal_safe(w)}”" for w in answer.unused_words)
            lines.append(f"The knowledge base never uses: {words} (other words for them may find it).")
        if answer.topics:
            shown = "; ".join(terminal_safe(t) for t in answer.topics[:MAX_TOPICS])
            more = len(answer.topics) - MAX_TOPICS
            lines.append("The knowledge base covers: " + shown + (f"; and {more} more" if more > 0 else ""))
        return "\n".join(lines)
    out: list[str] = []
    for n, passage in enumerate(answer.passages, 1):
        quote = passage.quote
        # A list item or table row of the quote keeps its own line (the quote's only line breaks);
        # each line is made safe and wrapped on its own.
        rows: list[list[str]] = [[]]
        last = 0
        for start, end in [*passage.highlights, (len(quote), len(quote))]:
            for text, marked in ((quote[last:start], False), (quote[start:end], True)):
                for k, part in enumerate(text.split("\n")):
                    if k:
                        rows.append([])
                    safe = terminal_safe(part)
                    rows[-1].append("\x1b[1m" + safe + "\x1b[0m" if color and marked and safe else safe)
            last = end
        printed = ["".join(row) for row in rows]
        printed[0] = "“" + printed[0]
        printed[-1] += "”"
        out.extend(textwrap.fill(line, width=width, initial_indent=f"{n}. " if i == 0 else "   ",
                                 subsequent_indent="   ") for i, line in enumerate(printed))
        out.append("   — " + terminal_safe(passage.citation.describe()))
        if passage.missing:
            out.append("   (not found in the quote: " + terminal_safe(", ".join(passage.missing)) + ")")
        if passage.citation.link:
            out.append("   " + terminal_safe(passage.citation.link))
        out.append("")
    return "\n".join(out).rstrip()
