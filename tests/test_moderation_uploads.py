"""Upload validation: every hostile or broken upload is refused with a message naming the problem."""

from __future__ import annotations

import pytest

from bot.moderation.uploads import UploadRejected, check_filename, validate_upload
from tests.moderation_helpers import BROKEN_FRONT_MATTER, ZEBRAS

LIMIT = 10_000


@pytest.mark.parametrize("name", ["zebras.md", "belarus-2022.txt", "a_b.c.md", "aliases.yaml", "X1.md"])
def test_safe_names_pass(name: str) -> None:
    assert check_filename(name) == name


@pytest.mark.parametrize(("name", "reason"), [
    ("", "no name"),
    ("../escape.md", "path separator"),
    ("..\\escape.md", "path separator"),
    ("/etc/passwd.md", "path separator"),
    ("a..md", "'..'"),
    ("..md", "'..'"),
    (".hidden.md", "hide"),
    ("_draft.md", "ignored"),
    ("CON.md", "reserved device"),
    ("lpt1.txt", "reserved device"),
    ("nul.notes.md", "reserved device"),
    ("aliases.md", "reserved for 'aliases.yaml'"),
    ("other.yaml", "only .yaml"),
    ("script.py", "extension '.py'"),
    ("noext", "extension '(none)'"),
    ("Doc.MD", "upper-case extension"),
    ("tab\there.md", "control"),
    ("zero\u200bwidth.md", "control or invisible"),
    ("nul\x00byte.md", "control"),
    ("a" * 120 + ".md", "limit is 100"),
    ("spaces in name.md", "only letters"),
    ("ünïcode.md", "only letters"),
    ("-dash.md", "only letters"),
])
def test_hostile_names_are_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(UploadRejected) as exc:
        check_filename(name)
    assert reason in str(exc.value)


def test_valid_document_upload_is_parsed() -> None:
    upload = validate_upload("zebras.md", ZEBRAS, LIMIT)
    assert upload.document is not None and upload.document.title == "Zebras"
    assert upload.doc_id == "zebras" and not upload.is_aliases
    assert len(upload.content_hash) == 64


def test_oversized_file_is_refused() -> None:
    data = ZEBRAS + b"x" * LIMIT
    with pytest.raises(UploadRejected, match=r"the limit is 10,000 bytes"):
        validate_upload("zebras.md", data, LIMIT)


def test_non_utf8_file_names_the_line() -> None:
    data = "---\ntitle: Café\n---\n\nCafé au lait.\n".encode("latin-1")
    with pytest.raises(UploadRejected, match=r"not UTF-8 text \(first bad byte at line 2"):
        validate_upload("cafe.md", data, LIMIT)


def test_malformed_front_matter_names_file_and_line() -> None:
    with pytest.raises(UploadRejected) as exc:
        validate_upload("broken.md", BROKEN_FRONT_MATTER, LIMIT)
    assert "broken.md:2: front matter is not valid YAML" in str(exc.value)


@pytest.mark.parametrize(("data", "reason"), [
    (b"no front matter at all\n", "missing YAML front matter"),
    (b"---\ntitle: T\n---\n\n\n", "no paragraphs"),
    (b"---\ntitel: T\n---\n\nText.\n", "unknown front matter key 'titel'"),
    (b"---\n!!python/object/apply:os.system ['echo hi']\n---\n\nText.\n", "not valid YAML"),
    (b"   \n", "is empty"),
])
def test_content_problems_are_explained(data: bytes, reason: str) -> None:
    with pytest.raises(UploadRejected, match=reason):
        validate_upload("doc.md", data, LIMIT)


def test_aliases_file_is_validated_as_aliases() -> None:
    upload = validate_upload("aliases.yaml", b"aliases:\n  - [Kyiv, Kiev]\n", LIMIT)
    assert upload.is_aliases and upload.alias_groups == (("Kyiv", "Kiev"),)
    with pytest.raises(UploadRejected, match=r"aliases.yaml:2: an alias group needs at least two names"):
        validate_upload("aliases.yaml", b"aliases:\n  - [Kyiv]\n", LIMIT)
