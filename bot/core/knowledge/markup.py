"""Markdown inline markup → the words a reader of the rendered page sees.

A quote is the text of the article as its readers read it: in a Markdown file
``To get the **Verified** role, read the [rules page](https://example.com/rules)`` reads
"To get the Verified role, read the rules page (https://example.com/rules)". Left in, the
markup would show in every quote (Discord escapes it, so readers would see the asterisks and
brackets), image paths and relative addresses would be indexed as words, and a citation's text
fragment would never match the published page. The words themselves are never changed.

What is read: code spans (their text, verbatim), images (their alt text), links (their text,
and an http(s) address after it in brackets, as that is often the answer: "where are the
rules?"), reference links (``[text][label]``, ``[label][]`` and ``[label]``, resolved through
the file's link reference definitions, whose own lines are not text: see
:func:`link_definition`), autolinks, footnote references (dropped), emphasis (markers dropped when they
flank words, as CommonMark has it: ``2 * 3 * 4`` and ``snake_case_name`` stay as written), a
few HTML tags (``<sup>``, ``<span>``, ``<details>``, ``<summary>``…: dropped; ``<br>``: a space;
``<img alt="…">``: its alt text), and backslash escapes
(``\\*`` is an asterisk). Struck-out text (``~~old~~``, ``<del>``) keeps its markers: without
them it would read as current. Emphasis and links may span the lines of a wrapped paragraph;
fenced code blocks are not passed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MARKUP_CHARS = "*_`[<\\"  # a text without any of these has no markup to read
_MARKUP_CHAR = re.compile(f"[{re.escape(MARKUP_CHARS)}]")  # the same set, for one text
_CODE_SPAN = re.compile(r"(`{1,10})([^`](?:.{0,2000}?[^`])??)\1(?!`)", re.S)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Escaped characters are set aside as private-use characters while the markup is read.
_PRIVATE = 0xF0000
_RESTORE = {_PRIVATE + i: chr(i) for i in range(128)}
_RESTORE_IN_CODE = {_PRIVATE + i: "\\" + chr(i) for i in range(128)}  # code keeps its backslashes
# Every pattern stops at the next character that could open another one (a bracket, the same
# emphasis marker) or after a bounded length, so that reading a text costs time linear in its
# length whatever it holds ("[[[[…" or "*a *a *a …" a megabyte long).
_TITLE = r"(?:\s+(?:\"[^\"]{0,200}\"|'[^']{0,200}'))?"
_IMAGE = re.compile(r"!\[([^\[\]]{0,300})\]\(\s*<?([^()\s<>]{0,2000})>?" + _TITLE + r"\s*\)")
_LINK = re.compile(r"\[([^\[\]]{1,300})\]\(\s*<?([^()\s<>]{0,2000})>?" + _TITLE + r"\s*\)")
# "[text][label]", "[label][]" and "[label]" (the last two only when the label is defined), and
# the same after "!" (an image: its alt text).
_REFERENCE_LINK = re.compile(r"(!?)\[([^\[\]]{1,300})\](?:\[([^\[\]]{0,100})\]|(?![(:]))")
# "[label]: https://example.com/page "Title"": a line of its own, never shown (CommonMark).
_DEFINITION = re.compile(r" {0,3}\[(?!\^)([^\[\]]{1,300})\]:[ \t]*<?([^\s<>]{1,2000})>?"
                         r"(?:[ \t]+(?:\"[^\"]{0,200}\"|'[^']{0,200}'|\([^()]{0,200}\)))?[ \t]*")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]{1,2000})>")
_FOOTNOTE_REF = re.compile(r"\[\^[^\[\]\s]{1,100}\](?!:)")
_EMPHASIS = (
    re.compile(r"(?<![\w*])(\*{1,3})(?=[^\s*])([^*]{1,1000}?)(?<=[^\s*])\1(?![\w*])"),
    re.compile(r"(?<![\w_])(_{1,3})(?=[^\s_])([^_]{1,1000}?)(?<=[^\s_])\1(?![\w_])"),
)
_NESTING = 3  # emphasis inside emphasis ("**bold _and_ more**"), unwrapped from inside out
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|center|cite|details|div|em|figcaption|figure|hr|i|kbd|mark|p|small|span|strong|sub|"
    r"summary|sup|u)(?:\s[^<>]{0,2000})?/?>", re.IGNORECASE)
_HTML_IMAGE = re.compile(r"<img(?:\s[^<>]{0,2000}?\balt\s*=\s*(?:\"([^\"<>]{0,300})\"|'([^'<>]{0,300})'))?"
                         r"[^<>]{0,2000}>", re.IGNORECASE)


def link_label(label: str) -> str:
    """A reference label as CommonMark matches it: case and runs of spaces do not count."""
    return " ".join(label.split()).casefold()


def link_definition(line: str) -> tuple[str, str] | None:
    """(label, address) of a link reference definition line ("[rules]: https://…"), else None."""
    m = _DEFINITION.fullmatch(line)
    return (link_label(m.group(1)), m.group(2)) if m else None


def _with_address(text: str, url: str) -> str:
    if url.startswith(("https://", "http://")) and url != text:
        return f"{text} ({url})"
    return text


def _link(m: re.Match[str]) -> str:
    return _with_address(m.group(1), m.group(2))


def _reference(m: re.Match[str], links: Mapping[str, str]) -> str:
    image, text, label = m.group(1), m.group(2), m.group(3)
    url = links.get(link_label(label or text))
    if url is None and label is not None and label.strip():
        return text  # "[text][label]" with an undefined label: its text, as the reader meant it
    if url is None:
        return m.group(0)  # "[sic]", "[ ]": not a link unless the file defines the label
    return text if image else _with_address(text, url)


def _plain(text: str, links: Mapping[str, str]) -> str:
    """Markup outside code spans, read."""
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(_link, text)
    if "][" in text or links:
        text = _REFERENCE_LINK.sub(lambda m: _reference(m, links), text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _FOOTNOTE_REF.sub("", text)
    text = _HTML_TAG.sub("", _LINE_BREAK_TAG.sub(" ", text))
    if "<" in text:
        text = _HTML_IMAGE.sub(lambda m: m.group(1) or m.group(2) or "", text)
    for _ in range(_NESTING):
        previous = text
        for pattern in _EMPHASIS:
            text = pattern.sub(r"\2", text)
        if text == previous:
            break
    return text


def read_markup(text: str, links: Mapping[str, str] | None = None) -> str:
    """The words of Markdown ``text`` (a line, or the wrapped lines of a paragraph outside code)
    as the rendered page shows them; line breaks stay where they were. ``links``: the file's
    link reference definitions (:func:`link_label` → address)."""
    if not _MARKUP_CHAR.search(text):
        return text  # most paragraphs of most files: no markup at all
    text = _ESCAPE.sub(lambda m: chr(_PRIVATE + ord(m.group(1))), text)
    out: list[str] = []
    last = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_plain(text[last:m.start()], links or {}))
        out.append((m.group(2).strip(" ") or m.group(2)).translate(_RESTORE_IN_CODE))
        last = m.end()
    out.append(_plain(text[last:], links or {}))
    return "".join(out).translate(_RESTORE)
