"""Knowledge files on disk → :class:`Document` objects.

A knowledge file is Markdown (or plain text) that starts with a YAML front matter block.
Loading is strict about the front matter (a typo in a key would silently lose a citation
field) and forgiving about the body (any prose is a valid paragraph). Every problem is
reported as ``path:line: message`` and only the broken file is left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.config import LimitSettings
from bot.core.files import OutsideFolder, is_inside, read_inside
from bot.core.knowledge.markup import MARKUP_CHARS, link_definition, read_markup
from bot.core.problems import Problem, ProblemError, decode_text, load_yaml, one_file

KNOWLEDGE_SUFFIXES = (".md", ".markdown", ".txt")
REQUIRED_KEYS = ("title",)
ALLOWED_KEYS = frozenset({"title", "published", "url", "author", "language", "tags"})
_HEADING = re.compile(r"#{1,6}\s")  # "## Title"; "#hashtag" is text
_FENCE = re.compile(r"^(```|~~~)")
_COMMENT_OPEN, _COMMENT_CLOSE = "<!--", "-->"
_DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Under a line of text, a line of "=" or "-" makes it a heading (a setext heading); a line of
# three or more "*", "-" or "_" (spaces between allowed) elsewhere is a thematic break: markup.
_SETEXT_UNDERLINE = re.compile(r"=+|-+")
_THEMATIC_BREAK = re.compile(r"(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,}")
# A table's delimiter row ("|------|-----:|", "--|--"): under its header row, markup only.
_CELL = r"[ \t]*:?-+:?[ \t]*"
# A list item or a table row: a line a lead-in ("To install the client:") may introduce.
_LIST_OR_ROW = re.compile(r"(?:[-*+•]|\d{1,3}[.)])[ \t]|\|")
_TABLE_DELIMITER = re.compile(rf"\|?(?:{_CELL}\|)+(?:{_CELL})?|{_CELL}(?:\|{_CELL})+\|?")


def _heading(line: str) -> str | None:
    r"""The text of an ATX heading line ("## Title ##" → "Title"; "" for "## "), None for any
    other line. Written without a backtracking pattern: ``\s*#*\s*$`` after a lazy group took
    time cubic in a run of spaces (a heading of 5,000 spaces never finished)."""
    m = _HEADING.match(line)
    if m is None:
        return None
    text = line[m.end():].strip()
    closed = text.rstrip("#")
    if closed != text and (not closed or closed[-1].isspace()):  # a closing run: "## Title ##"
        text = closed.rstrip()
    return text


def _without_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """``line`` without the HTML comments in it, and whether a comment is still open at its end.

    Markdown never shows a comment: it is where authors keep notes to themselves ("TODO: check
    the date"), so a comment is neither indexed nor quoted.
    """
    kept: list[str] = []
    pos = 0
    while True:
        if in_comment:
            end = line.find(_COMMENT_CLOSE, pos)
            if end < 0:
                return "".join(kept), True
            pos, in_comment = end + len(_COMMENT_CLOSE), False
        start = line.find(_COMMENT_OPEN, pos)
        if start < 0:
            kept.append(line[pos:])
            return "".join(kept), False
        kept.append(line[pos:start])
        pos, in_comment = start + len(_COMMENT_OPEN), True


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A block of prose: the unit a citation points at (``¶number``)."""

    number: int
    text: str
    line: int
    section: str | None
    table_header: str | None = None  # the header row of the paragraph's table(s), as read

    @property
    def context(self) -> str | None:
        """What every sentence of the paragraph is about besides its own words: its section
        heading, and a table's header row ("| Plan | Price |" over "| Pro | $10 |"). Indexed
        with each of its chunks and counted as evidence for each of its quotes."""
        if self.table_header is None:
            return self.section
        return f"{self.section}\n{self.table_header}" if self.section else self.table_header


@dataclass(frozen=True, slots=True)
class Document:
    """One knowledge file, parsed. ``doc_id`` is the file name without its extension."""

    doc_id: str
    title: str
    published: str | None
    url: str | None
    author: str | None
    language: str | None
    paragraphs: tuple[Paragraph, ...]
    path: str
    content_hash: str
    # (size, modification time in ns) of the file when it was read: an unchanged file is
    # recognised by these without reading it again (as git's index does).
    stamp: tuple[int, int] | None = None

    @property
    def size_chars(self) -> int:
        return sum(len(p.text) for p in self.paragraphs)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _split_front_matter(path: str, text: str) -> tuple[str, int, list[str], int]:
    """Return (front matter text, its first line number, body lines, first body line number)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ProblemError(
            Problem(path, 1, "missing YAML front matter: the file must start with a '---' line, "
                             "then at least 'title:', then '---'")
        )
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), 2, lines[i + 1:], i + 2
    raise ProblemError(Problem(path, 1, "front matter is not closed: add a '---' line after it"))


def _key_line(front: str, first_line: int, key: str) -> int:
    for offset, line in enumerate(front.split("\n")):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return first_line + offset
    return first_line


def _parse_front_matter(path: str, front: str, first_line: int) -> dict[str, Any]:
    meta = load_yaml(front, path, first_line=first_line, what="front matter is not valid YAML") \
        if front.strip() else None
    if meta is None:
        raise ProblemError(Problem(path, first_line, "front matter is empty: 'title:' is required"))
    if not isinstance(meta, dict):
        raise ProblemError(Problem(path, first_line, "front matter must be a mapping of 'key: value' lines"))
    problems: list[Problem] = []
    for key in meta:
        if not isinstance(key, str) or key not in ALLOWED_KEYS:
            allowed = ", ".join(sorted(ALLOWED_KEYS))
            problems.append(Problem(path, _key_line(front, first_line, str(key)),
                                    f"unknown front matter key '{key}' (allowed: {allowed})"))
    for key in REQUIRED_KEYS:
        if key not in meta:
            problems.append(Problem(path, first_line, f"front matter key '{key}' is required"))
    if problems:
        raise ProblemError(problems)
    return meta


def _text_field(path: str, meta: dict[str, Any], key: str, front: str, first_line: int,
                required: bool = False) -> str | None:
    value = meta.get(key)
    if value is None:
        if required:
            raise ProblemError(Problem(path, _key_line(front, first_line, key), f"'{key}' must not be empty"))
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        raise ProblemError(Problem(path, _key_line(front, first_line, key),
                                   f"'{key}' must be text, got {type(value).__name__}"))
    return value.strip()


def _published(path: str, meta: dict[str, Any], front: str, first_line: int) -> str | None:
    value = meta.get("published")
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ProblemError(Problem(path, _key_line(front, first_line, "published"),
                               f"'published' must be an ISO date such as 2022-11-04, got {value!r}"))


def _url(path: str, meta: dict[str, Any], front: str, first_line: int) -> str | None:
    url = _text_field(path, meta, "url", front, first_line)
    if url is not None and not re.match(r"^https?://[^\s/$.?#][^\s]*$", url):
        raise ProblemError(Problem(path, _key_line(front, first_line, "url"),
                                   f"'url' must be an http(s) address, got {url!r}"))
    return url


def _read_markup(lines: list[str], code: frozenset[int], links: dict[str, str]) -> list[str]:
    """The lines of a block with the markup of each run of lines outside code read as a whole
    (emphasis and links may span a wrapped line); a line left empty ("![](logo.png)") is dropped."""
    out: list[str] = []
    run: list[str] = []
    for i, line in enumerate(lines):
        if i in code:
            out.extend(read_markup("\n".join(run), links).split("\n") if run else ())
            run = []
            out.append(line)
        else:
            run.append(line)
    out.extend(read_markup("\n".join(run), links).split("\n") if run else ())
    return [line for line in out if line.strip()]


# A block as written: its lines, which of them are code, its first line, section, table header rows.
_Block = tuple[list[str], frozenset[int], int, str | None, tuple[str, ...]]


def _with_lead_ins(blocks: list[_Block]) -> list[_Block]:
    """Blocks with each lead-in joined to the list or table it introduces: "Supported systems:"
    over "- Windows 10 or newer" is one paragraph to a reader, and quoted alone it answers
    nothing. A lead-in is a block whose last line ends with a colon, outside code, followed in
    the same section by a block that opens with a list item or a table row. Blocks are joined
    in place (a chain of thousands of "- item:" blocks costs linear time)."""
    out: list[tuple[list[str], set[int], int, str | None, tuple[str, ...]]] = []
    for lines, code, line_no, section, headers in blocks:
        if out:
            lead, lead_code, _line, lead_section, lead_headers = out[-1]
            if (lead_section == section and not lead_headers and len(lead) - 1 not in lead_code
                    and lead[-1].rstrip().endswith(":") and 0 not in code
                    and (headers or _LIST_OR_ROW.match(lines[0]))):
                lead_code.update(len(lead) + i for i in code)
                lead.extend(lines)  # the lists are this parse's own
                out[-1] = (*out[-1][:4], headers)
                continue
        out.append((lines, set(code), line_no, section, headers))
    return [(lines, frozenset(code), first, section, headers)
            for lines, code, first, section, headers in out]


def parse_paragraphs(body_lines: list[str], first_line: int, markdown: bool = True) -> tuple[Paragraph, ...]:
    """Split a Markdown body into paragraphs at blank lines; headings name the section.

    Block-quote markers are removed so a quote and its attribution form one paragraph, HTML
    comments (never shown by Markdown) are left out, and with ``markdown`` (a ``.md`` file, not
    a ``.txt`` one) inline markup is read as a reader sees it (bot/core/knowledge/markup.py),
    but the words themselves are kept exactly as written. Link reference definitions
    ("[rules]: https://…", at the start of a block) are not text: the links that name them are
    read once the whole file is known, as a definition may come after its use. A line ending in
    two spaces (a hard break) keeps them, so that the sentence splitter sees the break.
    """
    # Each block as written (lines, which of them are code, first line, section, table header
    # lines): read at the end.
    blocks: list[_Block] = []
    headers: list[str] = []  # header rows of the block's tables
    links: dict[str, str] = {}  # link reference definitions: label → address (the first wins)
    section: str | None = None
    block: list[str] = []
    code: set[int] = set()  # lines of ``block`` inside a fenced code block: taken as written
    block_line = first_line
    in_fence = False
    in_comment = False
    whole = "\n".join(body_lines)  # most files have neither comments nor markup: one search each
    comments = "<" in whole and _COMMENT_OPEN in whole  # one character is found faster
    tables = markdown and "|" in whole
    rules = markdown and any(c in whole for c in "=-*_")  # setext headings, thematic breaks
    markdown = markdown and any(c in whole for c in MARKUP_CHARS)  # inline markup to read

    def flush() -> None:
        nonlocal block, headers
        if block:
            blocks.append((block, frozenset(code), block_line, section, tuple(headers)))
        block = []
        headers = []
        if code:
            code.clear()

    for offset, raw in enumerate(body_lines):
        line_no = first_line + offset
        line = raw.rstrip("\r")
        if comments and not in_fence and (in_comment or _COMMENT_OPEN in line):
            line, in_comment = _without_comments(line, in_comment)
            if not line.strip():  # the line held only (part of) a comment: it is not a blank line
                continue
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
            if not block:
                block_line = line_no
            code.add(len(block))
            block.append(line)
            continue
        if in_fence:
            code.add(len(block))
            block.append(line)
            continue
        stripped = line.strip()
        heading = _heading(stripped) if stripped[:1] == "#" else None
        if heading is not None:
            flush()
            section = heading or None
            continue
        if stripped.startswith(">"):
            stripped = stripped[1:].strip()
            if not stripped:  # a blank line inside a block quote keeps the quote together
                continue
            line = stripped
        if not stripped:
            flush()
            continue
        if rules and stripped[:1] in "=-*_":
            if len(block) == 1 and not code and not headers and _SETEXT_UNDERLINE.fullmatch(stripped):
                # One line of text over it is a heading. (CommonMark makes any paragraph one; a
                # paragraph of several lines stays text here, so that no sentence is lost.)
                section = block[0].strip() or None
                block = []
                continue
            if _THEMATIC_BREAK.fullmatch(stripped):
                flush()
                continue
        if (tables and block and "-" in stripped and "|" in stripped + block[-1]
                and len(block) - 1 not in code and _TABLE_DELIMITER.fullmatch(stripped)):
            headers.append(block[-1])  # the row above is the table's header; this one is markup
            continue
        if not block:
            definition = link_definition(stripped) if markdown and stripped[:1] == "[" else None
            if definition is not None:  # never shown, and not a blank line either
                links.setdefault(*definition)
                continue
            block_line = line_no
        block.append(stripped + "  " if line.endswith("  ") else stripped)
    flush()
    paragraphs: list[Paragraph] = []
    sections: dict[str | None, str | None] = {None: None}
    for lines, code_lines, line_no, heading_text, header_rows in _with_lead_ins(blocks):
        text = "\n".join(_read_markup(lines, code_lines, links) if markdown else lines).strip()
        if heading_text is not None and heading_text not in sections:
            sections[heading_text] = (read_markup(heading_text, links) if markdown else heading_text) or None
        header = "\n".join((read_markup(row, links) if markdown else row).strip()
                           for row in header_rows) or None
        if text:
            paragraphs.append(Paragraph(len(paragraphs) + 1, text, line_no, sections[heading_text], header))
    return tuple(paragraphs)


def parse_document(path: Path | str, data: bytes, display_path: str | None = None,
                   limits: LimitSettings | None = None) -> Document:
    """Parse one knowledge file; raises :class:`ProblemError` naming the file and line.

    This is the guard for one file: whatever goes wrong inside (a parser's own exception
    included) becomes a problem of this file, so one bad file never stops the others.
    """
    shown = display_path or str(path)
    with one_file(shown, "cannot be read as a knowledge file"):
        return _parse_document(Path(path), data, shown, limits or LimitSettings())


def _parse_document(path: Path, data: bytes, shown: str, limits: LimitSettings) -> Document:
    text = decode_text(data, shown, limits.max_file_bytes)
    if "\x00" in text:
        raise ProblemError(Problem(shown, text[: text.index("\x00")].count("\n") + 1,
                                   "contains a NUL byte; knowledge files must be text"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    doc_id = path.stem
    if not _DOC_ID.match(doc_id):
        raise ProblemError(Problem(shown, None, f"file name '{path.name}' is not usable as a document id "
                                                "(letters, digits, '.', '_' and '-' only)"))
    front, front_line, body, body_line = _split_front_matter(shown, text)
    meta = _parse_front_matter(shown, front, front_line)
    title = _text_field(shown, meta, "title", front, front_line, required=True)
    assert title is not None
    paragraphs = parse_paragraphs(body, body_line, markdown=path.suffix.lower() != ".txt")
    if not paragraphs:
        raise ProblemError(Problem(shown, body_line, "no paragraphs after the front matter"))
    if len(paragraphs) > limits.max_paragraphs:
        raise ProblemError(Problem(shown, None, f"has {len(paragraphs):,} paragraphs; the limit is "
                                                f"{limits.max_paragraphs:,} (limits.max_paragraphs)"))
    return Document(
        doc_id=doc_id,
        title=title,
        published=_published(shown, meta, front, front_line),
        url=_url(shown, meta, front, front_line),
        author=_text_field(shown, meta, "author", front, front_line),
        language=_text_field(shown, meta, "language", front, front_line),
        paragraphs=paragraphs,
        path=shown,
        content_hash=content_hash(data),
    )


def knowledge_files(directory: Path) -> list[Path]:
    """The knowledge files of a folder, sorted by name (hidden files are ignored).

    Every reload lists the folder: names are filtered before any ``stat`` (``os.scandir``
    knows a regular file from the directory entry) and sorted as strings, not as paths
    (a third of the time at 4,000 files)."""
    if not directory.is_dir():
        return []
    names = []
    with os.scandir(directory) as entries:
        for entry in entries:
            name = entry.name
            if (not name.startswith((".", "_")) and os.path.splitext(name)[1].lower() in KNOWLEDGE_SUFFIXES
                    and entry.is_file()):
                names.append(name)
    names.sort()
    return [directory / name for name in names]


@dataclass(frozen=True, slots=True)
class LoadResult:
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]


def load_documents(directory: Path, previous: Iterable[Document] = (),
                   limits: LimitSettings | None = None) -> LoadResult:
    """Load every knowledge file of ``directory``.

    ``previous`` holds the documents of the last good load: a file that is broken now keeps
    its last good version, so an edit in progress never takes knowledge away, and a file
    whose bytes are unchanged keeps its parsed document instead of being parsed again
    (front matter parsing alone costs seconds for thousands of files). A folder that is
    missing (unmounted, renamed) is a problem, and every previous document is kept: an
    absent folder is far more often an accident than the wish to forget everything.

    A file whose real path is outside the folder (a symbolic link to ``/etc/passwd`` or
    ``/proc/self/environ``) is never read.
    """
    limits = limits or LimitSettings()
    last_good = {d.doc_id: d for d in previous}
    documents: dict[str, Document] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        problems.append(Problem(str(directory), None, "knowledge folder is missing or not a folder"
                                + ("; still serving the documents loaded before" if last_good else "")))
        return LoadResult(tuple(last_good.values()), tuple(problems))
    for path in knowledge_files(directory):
        doc_id = path.stem
        if doc_id in documents:
            problems.append(Problem(str(path), None, f"document id '{doc_id}' is already used by "
                                                     f"{documents[doc_id].path}; rename one of them"))
            continue
        try:
            if not is_inside(path, directory):
                raise OutsideFolder(path.name)
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
            old = last_good.get(doc_id)
            if old is not None and old.path == str(path) and old.stamp == stamp:
                documents[doc_id] = old  # unchanged since it was read: not even read again
                continue
            data = read_inside(path, directory, limits.max_file_bytes)
            if old is not None and old.path == str(path) and old.content_hash == content_hash(data):
                documents[doc_id] = dataclasses.replace(old, stamp=stamp)
            else:
                parsed = parse_document(path, data, limits=limits)
                documents[doc_id] = dataclasses.replace(parsed, stamp=stamp)
        except ProblemError as exc:
            problems.extend(exc.problems)
        except OutsideFolder:
            problems.append(Problem(str(path), None, f"points outside {directory.name}/ "
                                                     "(a symbolic link?); not read"))
            continue  # never serve what such a name pointed at before either
        except OSError as exc:
            problems.append(Problem(str(path), None, f"cannot read: {exc.strerror or exc}"))
        else:
            continue
        if doc_id in last_good:
            documents[doc_id] = last_good[doc_id]
    return LoadResult(tuple(documents.values()), tuple(problems))
