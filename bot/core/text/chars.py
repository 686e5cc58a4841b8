"""Characters with a meaning of their own, defined once for the whole bot.

Zero-width characters are invisible in any rendering, so they must neither split nor join
words when matching, and text made only of them is empty to a reader. The ellipsis marks
every cut the bot makes in a quote or a message. Hyphens join the parts of a word, which the
analysis indexes apart as well as joined.
"""

from __future__ import annotations

# Soft hyphen, zero-width space / non-joiner / joiner, word joiner, byte-order mark.
ZERO_WIDTH = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
ZERO_WIDTH_SET = frozenset(ZERO_WIDTH)
DROP_ZERO_WIDTH = dict.fromkeys(map(ord, ZERO_WIDTH))  # a str.translate table removing them
ELLIPSIS = "…"
HYPHENS = "-‐‑"  # hyphen-minus, hyphen, non-breaking hyphen: what joins "ex-Soviet"
