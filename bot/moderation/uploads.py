"""Check an uploaded knowledge file completely before a single byte of it is written.

An upload comes from a chat client, so its name and bytes are untrusted: the name could try to
leave the knowledge folder, hide itself, shadow the aliases file or be unusable on another system;
the bytes could be huge, binary, not UTF-8 or not a knowledge file at all. Every rejection says
what is wrong in words a moderator can act on; nothing here touches the disk.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from bot.core.knowledge.aliases import ALIASES_FILE, parse_aliases
from bot.core.knowledge.documents import Document, content_hash, parse_document
from bot.core.problems import ProblemError

ALLOWED_SUFFIXES = (".md", ".txt", ".yaml")
MAX_NAME_CHARS = 100
MAX_PROBLEM_LINES = 10
# Names Windows cannot create, whatever the extension (a knowledge folder may be synced to one).
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "clock$"}
    | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
    | {"com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"}
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class UploadRejected(ValueError):
    """The upload cannot be used; ``str(exc)`` is the reason, ready to show to the moderator."""


@dataclass(frozen=True, slots=True)
class ValidUpload:
    """An upload that passed every check: ``filename`` is safe to join to the knowledge folder."""

    filename: str
    data: bytes
    content_hash: str
    document: Document | None  # None for aliases.yaml
    alias_groups: tuple[tuple[str, ...], ...]

    @property
    def is_aliases(self) -> bool:
        return self.filename == ALIASES_FILE

    @property
    def doc_id(self) -> str:
        return PurePosixPath(self.filename).stem

    def describe(self) -> str:
        if self.document is None:
            return f"aliases file with {len(self.alias_groups)} group(s)"
        return f"“{self.document.title}” ({len(self.document.paragraphs)} paragraph(s))"


def check_filename(name: str) -> str:
    """Return ``name`` if it is a safe knowledge file name; raise :class:`UploadRejected` otherwise."""
    shown = repr(name) if not name.isprintable() else f"'{name}'"
    if not name:
        raise UploadRejected("The file has no name.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise UploadRejected(f"The file name {shown} contains control or invisible characters.")
    if "/" in name or "\\" in name:
        raise UploadRejected(f"The file name {shown} contains a path separator; upload a plain file name.")
    if ".." in name:
        raise UploadRejected(f"The file name {shown} contains '..'; use a plain name such as 'my-topic.md'.")
    if name.startswith("."):
        raise UploadRejected(f"The file name {shown} starts with '.', which would hide the file.")
    if name.startswith("_"):
        raise UploadRejected(f"The file name {shown} starts with '_'; such files are ignored by the bot.")
    if len(name) > MAX_NAME_CHARS:
        raise UploadRejected(f"The file name is {len(name)} characters long; the limit is {MAX_NAME_CHARS}.")
    suffix = PurePosixPath(name).suffix
    if suffix.lower() not in ALLOWED_SUFFIXES:
        allowed = ", ".join(ALLOWED_SUFFIXES)
        raise UploadRejected(f"The file name {shown} has the extension '{suffix or '(none)'}'; "
                             f"allowed are {allowed}.")
    if suffix != suffix.lower():
        raise UploadRejected(f"The file name {shown} has an upper-case extension; use '{suffix.lower()}'.")
    if suffix == ".yaml" and name != ALIASES_FILE:
        raise UploadRejected(f"The only .yaml file the bot reads is '{ALIASES_FILE}'; "
                             f"knowledge articles are .md or .txt files.")
    stem = PurePosixPath(name).stem
    if stem.split(".")[0].lower() in WINDOWS_RESERVED:
        raise UploadRejected(f"The file name {shown} is a reserved device name on Windows; choose another.")
    if stem.lower() == "aliases" and name != ALIASES_FILE:
        raise UploadRejected(f"The name 'aliases' is reserved for '{ALIASES_FILE}'; choose another name.")
    if not _SAFE_NAME.match(name) or name.endswith((".", "-")) or not stem:
        raise UploadRejected(f"The file name {shown} may use only letters A-Z, digits, '.', '_' and '-', "
                             f"starting with a letter or digit (for example 'belarus-2022.md').")
    return name


def _problem_text(exc: ProblemError) -> str:
    lines = [f"• {p}" for p in exc.problems[:MAX_PROBLEM_LINES]]
    if len(exc.problems) > MAX_PROBLEM_LINES:
        lines.append(f"• … and {len(exc.problems) - MAX_PROBLEM_LINES} more")
    return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n:,} bytes"


def validate_upload(name: str, data: bytes, max_bytes: int) -> ValidUpload:
    """Run every check on an upload (name, size, encoding, front matter, paragraphs, aliases)."""
    filename = check_filename(name)
    if len(data) > max_bytes:
        raise UploadRejected(f"'{filename}' is {_size(len(data))}; the limit is {_size(max_bytes)} "
                             f"(moderation.max_upload_bytes).")
    if not data.strip():
        raise UploadRejected(f"'{filename}' is empty.")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UploadRejected(f"'{filename}' is not UTF-8 text (first bad byte at line {line}, "
                             f"byte {exc.start}); save it as UTF-8 and upload it again.") from None
    if filename == ALIASES_FILE:
        try:
            groups = parse_aliases(data, filename)
        except ProblemError as exc:
            raise UploadRejected(f"'{filename}' was not accepted:\n{_problem_text(exc)}") from None
        return ValidUpload(filename, data, content_hash(data), None, groups)
    try:
        document = parse_document(filename, data, display_path=filename)
    except ProblemError as exc:
        raise UploadRejected(f"'{filename}' was not accepted:\n{_problem_text(exc)}") from None
    return ValidUpload(filename, data, document.content_hash, document, ())
