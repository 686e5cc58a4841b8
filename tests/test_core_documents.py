"""Knowledge files: the seed article is carried over verbatim; bad files are named precisely."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import build_snapshot
from bot.core.knowledge.documents import knowledge_files, load_documents, parse_document
from bot.core.problems import ProblemError

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "000_ec8c9e5d0caf4385.txt"
ARTICLE = REPO / "knowledge" / "russia-belarus-relations.md"


def _parse(text: str, name: str = "doc.md") -> object:
    return parse_document(Path(name), text.encode("utf-8"))


def test_seed_article_front_matter() -> None:
    doc = parse_document(ARTICLE, ARTICLE.read_bytes())
    assert doc.doc_id == "russia-belarus-relations"
    assert doc.title.startswith("From successful broker to a client state?")
    assert doc.published == "2022-11-04"
    assert doc.url is None
    assert len(doc.paragraphs) == 16
    assert [p.number for p in doc.paragraphs] == list(range(1, 17))


@pytest.mark.skipif(not SEED.exists(), reason="shared seed not available")
def test_seed_article_body_is_verbatim() -> None:
    source = SEED.read_text(encoding="utf-8")
    doc = parse_document(ARTICLE, ARTICLE.read_bytes())
    for paragraph in doc.paragraphs:
        for line in paragraph.text.split("\n"):
            assert line in source, line[:80]
    # The web-page boilerplate at the end is not part of the article.
    assert all("Hinterlasse" not in p.text for p in doc.paragraphs)
    # Spelling slips of the source are kept: quotes must match it.
    assert any("Untion State" in p.text for p in doc.paragraphs)


def test_block_quote_and_attribution_are_one_paragraph() -> None:
    doc = parse_document(ARTICLE, ARTICLE.read_bytes())
    quote = [p for p in doc.paragraphs if p.text.startswith("“Minsk appears")]
    assert len(quote) == 1
    assert quote[0].text.endswith("Yauheni Preiherman, Minsk Dialogue")


def test_headings_become_sections_and_are_not_paragraphs() -> None:
    doc = _parse("---\ntitle: T\n---\n# Intro\n\nFirst para.\n\n## Details\n\nSecond para.\nSame para.\n")
    assert [(p.number, p.section, p.text) for p in doc.paragraphs] == [
        (1, "Intro", "First para."),
        (2, "Details", "Second para.\nSame para."),
    ]
    assert doc.paragraphs[1].line == 10
    closing = _parse("---\ntitle: T\n---\n## Using C# ##\n\nText.\n\n### C#\n\nMore.\n\n#hashtag is text\n")
    assert [(p.section, p.text) for p in closing.paragraphs] == [
        ("Using C#", "Text."), ("C#", "More."), ("C#", "#hashtag is text")]


def test_html_comments_are_neither_indexed_nor_quoted() -> None:
    """Markdown never shows a comment: it is where authors keep notes to themselves."""
    doc = _parse("---\ntitle: T\n---\n<!-- TODO: check the date with Anna -->\n\n"
                 "The meetup is in Berlin <!-- or Bonn? --> every July.\n\n"
                 "The shop opens <!-- a note\n\nover lines --> at nine.\n\n"
                 "```html\n<!-- shown: code is verbatim -->\n```\n")
    texts = [p.text for p in doc.paragraphs]
    assert texts == ["The meetup is in Berlin  every July.", "The shop opens\nat nine.",
                     "```html\n<!-- shown: code is verbatim -->\n```"]
    assert doc.paragraphs[0].line == 6


def test_a_note_in_a_comment_is_never_an_answer() -> None:
    doc = _parse("---\ntitle: T\n---\nThe meetup is in Berlin every July.\n<!--\nTODO: ask Anna about "
                 "the catering budget\n-->\n")
    engine = Engine(build_snapshot([doc], [], RetrievalSettings()))
    assert not engine.ask("What is the catering budget?").answered
    answer = engine.ask("Where is the meetup?")
    assert answer.answered and answer.passages[0].quote == "The meetup is in Berlin every July."


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("no front matter\n", 1, "missing YAML front matter"),
        ("---\ntitle: T\nbody\n", 1, "not closed"),
        ("---\ntitle: [unclosed\n---\nx\n", 2, "not valid YAML"),
        ("---\ntitle: T\ntitel: typo\n---\nx\n", 3, "unknown front matter key 'titel'"),
        ("---\nauthor: A\n---\nx\n", 2, "'title' is required"),
        ("---\ntitle: T\npublished: 4 November 2022\n---\nx\n", 3, "ISO date"),
        ("---\ntitle: T\nurl: ftp://x\n---\nx\n", 3, "http(s)"),
        ("---\ntitle: T\n---\n\n\n", 4, "no paragraphs"),
    ],
)
def test_malformed_files_name_path_and_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(ProblemError) as info:
        _parse(text, "bad.md")
    problem = info.value.problems[0]
    assert problem.path == "bad.md"
    assert problem.line == line
    assert fragment in problem.message
    assert str(problem).startswith(f"bad.md:{line}: ")


def test_non_utf8_is_reported_with_line() -> None:
    with pytest.raises(ProblemError) as info:
        parse_document(Path("x.md"), b"---\ntitle: T\n---\ncaf\xe9\n")
    assert info.value.problems[0].line == 4
    assert "UTF-8" in info.value.problems[0].message


def test_a_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("---\ntitle: Good\n---\nFine text.\n", encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\ntitle: [\n---\nx\n", encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("not even front matter", encoding="utf-8")
    result = load_documents(tmp_path)
    assert [d.doc_id for d in result.documents] == ["good"]
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith(f"{tmp_path / 'bad.md'}:")


def test_last_good_version_is_kept_when_a_file_breaks(tmp_path: Path) -> None:
    path = tmp_path / "doc.md"
    path.write_text("---\ntitle: Doc\n---\nOld text.\n", encoding="utf-8")
    first = load_documents(tmp_path)
    path.write_text("---\ntitle: [broken\n---\nNew text.\n", encoding="utf-8")
    second = load_documents(tmp_path, previous=first.documents)
    assert second.documents == first.documents
    assert second.problems and "not valid YAML" in second.problems[0].message


def test_unchanged_files_are_not_parsed_again(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: A\n---\nText A.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ntitle: B\n---\nText B.\n", encoding="utf-8")
    first = load_documents(tmp_path)
    (tmp_path / "b.md").write_text("---\ntitle: B\n---\nText B, edited.\n", encoding="utf-8")
    second = load_documents(tmp_path, previous=first.documents)
    a1, b1 = first.documents
    a2, b2 = second.documents
    assert a2 is a1  # same bytes: the parsed document is reused
    assert b2 is not b1 and b2.paragraphs[0].text == "Text B, edited."


def test_knowledge_files_are_the_folders_knowledge_files_sorted_by_name(tmp_path: Path) -> None:
    for name in ("b.md", "A.MD", "c.markdown", "d.txt", "_draft.md", ".hidden.md", "notes.rst", "e.md.bak"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "folder.md").mkdir()  # a folder with a knowledge suffix is not a file
    (tmp_path / "link.md").symlink_to(tmp_path / "b.md")  # listed; reading it checks where it points
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    assert [p.name for p in knowledge_files(tmp_path)] == ["A.MD", "b.md", "c.markdown", "d.txt", "link.md"]
    assert all(p.parent == tmp_path for p in knowledge_files(tmp_path))
    assert knowledge_files(tmp_path / "missing") == []
