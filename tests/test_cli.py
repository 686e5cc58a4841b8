"""The command line: the JSON contract, batch mode, check, eval, config errors, no Discord."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parent.parent
# The shipped config, with the saved index in a folder of the test run's own (not the repo's data/).
_CONFIG = Path(tempfile.mkdtemp(prefix="kb-cli-")) / "config.yaml"
_CONFIG.write_text((REPO / "config" / "config.yaml").read_text(encoding="utf-8")
                   + f"\ndata_dir: {_CONFIG.parent / 'data'}\n", encoding="utf-8")
KNOWLEDGE = ["--knowledge", str(REPO / "knowledge"), "--config", str(_CONFIG)]
PASSAGE_KEYS = {"document", "title", "published", "url", "location", "paragraphs", "score", "quote", "text",
                "missing"}


def test_ask_json_prints_one_object_in_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", *KNOWLEDGE, "How many people were detained after the 2020 protests?"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    obj = json.loads(out)
    assert set(obj) == {"question", "answered", "passages", "unused_words"}
    assert obj["answered"] is True and 1 <= len(obj["passages"]) <= 3 and obj["unused_words"] == []
    for p in obj["passages"]:
        assert set(p) == PASSAGE_KEYS
        assert isinstance(p["score"], float) and isinstance(p["paragraphs"], list)
        assert p["location"] == f"¶{p['paragraphs'][0]}"
        assert p["quote"] and p["text"] and p["document"] == "russia-belarus-relations"
    assert "37 000" in obj["passages"][0]["quote"]


def test_ask_top_limits_passages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "--top", "1", *KNOWLEDGE, "Lukashenka and Putin"]) == 0
    assert len(json.loads(capsys.readouterr().out)["passages"]) == 1


def test_batch_is_json_lines_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = ["When was the Soviet Union founded?", "What's the capital of Australia?", "",
                 "Who is Boris Gryzlov?"]
    batch = tmp_path / "q.txt"
    batch.write_text("\n".join(questions) + "\n", encoding="utf-8")
    assert main(["ask", "--json", "--batch", str(batch), *KNOWLEDGE]) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(line) for line in lines]
    # Every input line, the blank one too, gets exactly one output line: they line up.
    assert [o["question"] for o in objs] == questions
    assert [o["answered"] for o in objs] == [True, False, False, True]
    assert objs[1]["passages"] == [] and objs[2]["passages"] == []


@pytest.mark.parametrize("from_stdin", [False, True])
def test_batch_with_invalid_utf8_answers_every_other_line(tmp_path: Path, from_stdin: bool) -> None:
    data = (b"How many people were detained after the 2020 protests?\n"
            b"Who is Boris \xff\xfe Gryzlov?\n"
            b"\n"
            b"When was the Soviet Union founded?")  # no newline at the end
    batch = tmp_path / "q.txt"
    batch.write_bytes(data)
    source = "-" if from_stdin else str(batch)
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", "--batch", source, *KNOWLEDGE],
                            input=data if from_stdin else b"", capture_output=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    lines = result.stdout.decode("utf-8").splitlines()  # strict: the output is valid UTF-8
    objs = [json.loads(line) for line in lines]
    assert len(objs) == 4
    assert objs[0]["answered"] and objs[3]["answered"]
    assert not objs[1]["answered"] and "line 2 is not valid UTF-8" in objs[1]["error"]
    assert objs[1]["question"] == "Who is Boris \ufffd\ufffd Gryzlov?"
    assert objs[2] == {"question": "", "answered": False, "passages": [], "unused_words": []}


def test_text_output_escapes_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "evil.md").write_text(
        "---\ntitle: \"Tea \\e[2J\\e]0;owned\\a guide\"\n---\n\n"
        "Green tea \x1b[31mbrews\x1b[0m at eighty degrees for two minutes.\n", encoding="utf-8")
    forged = tmp_path / "x\nforged.md:1: everything is fine.md"
    forged.write_text("---\ntitle: [unclosed\n---\n\nText.\n", encoding="utf-8")
    question = "Is green tea made at eighty degrees for two minutes?"
    assert main(["ask", "--knowledge", str(tmp_path), question]) == 0
    out = capsys.readouterr()
    assert "\x1b" not in out.out and "\x07" not in out.out
    assert "\\x1b[31m" in out.out  # shown, not obeyed
    assert main(["check", "--knowledge", str(tmp_path)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert not any(line.startswith("forged.md") for line in printed)  # no forged path:line: line
    assert any("x\\nforged.md" in line for line in printed)


def test_readable_output_has_quotes_and_citations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", *KNOWLEDGE, "Where was the USSR dissolved?"]) == 0
    out = capsys.readouterr().out
    assert "Belovezhskaya-Puscha" in out and "¶1" in out and "2022-11-04" in out


def test_decline_is_said_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", *KNOWLEDGE, "How do I bake sourdough bread?"]) == 0
    out = capsys.readouterr().out
    assert "Nothing in the knowledge base answers this" in out
    # the words to say otherwise ("bread" is an everyday word: not guessed to be a typo of "broad")
    assert "never uses: “bake”, “sourdough”, “bread” (" in out
    assert "Russia-Belarus relations" in out  # what the bot does know about


def test_check_reports_problems_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", *KNOWLEDGE]) == 0
    (tmp_path / "ok.md").write_text("---\ntitle: Ok\n---\nText.\n", encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\ntitle: Bad\npublished: yesterday\n---\nText.\n", encoding="utf-8")
    (tmp_path / "aliases.yaml").write_text("aliases:\n  - [only-one]\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["check", "--knowledge", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    expected = "'published' must be an ISO date such as 2022-11-04, got 'yesterday'"
    assert f"{tmp_path / 'bad.md'}:3: {expected}" in out
    assert any(line.startswith(f"{tmp_path / 'aliases.yaml'}:2: ") for line in out)


def test_config_errors_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("retrieval:\n  k1: fast\n  topp: 3\ndiscord:\n  guild_ids: [abc]\n", encoding="utf-8")
    assert main(["check", "--knowledge", str(REPO / "knowledge"), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "retrieval.k1: expected a number, got 'fast'" in err
    assert "retrieval.topp: unknown setting" in err
    assert "discord.guild_ids[0]: expected a whole number" in err


def test_missing_explicit_config_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--config", str(tmp_path / "nope.yaml"), "question"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_eval_prints_figures_and_enforces_threshold(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    items = tmp_path / "q.yaml"
    items.write_text(
        "- question: How many people were detained after the 2020 protests?\n  expect: ['37 000']\n"
        "- question: When was the Soviet Union founded?\n  expect: ['in 1922']\n"
        "- question: Who won the 2018 World Cup?\n  expect: null\n"
        "- question: Which city hosted the talks?\n  expect: ['phrase that is not there']\n",
        encoding="utf-8")
    assert main(["eval", str(items), *KNOWLEDGE]) == 0
    out = capsys.readouterr().out
    assert "hit@1: 0.667 (2/3)" in out and "correct declines: 1/1" in out and "MRR:" in out
    assert "phrase that is not there" in out  # each miss is listed
    assert main(["eval", str(items), *KNOWLEDGE, "--min-hit1", "0.9"]) == 1


SQUAD_STYLE_KB = {
    "rivers.md": "---\ntitle: Rivers\n---\n\n"
                 "The Danube rises in the Black Forest. It flows east through ten countries.\n\n"
                 "The Rhine rises in the Swiss Alps. Barges carry coal and grain on the Rhine.\n",
    "lakes.md": "---\ntitle: Lakes\n---\n\nLake Baikal in Siberia is the deepest lake in the world.\n",
}
SQUAD_STYLE_QUESTIONS = [
    {"id": "1", "q": "Where does the Danube rise?", "answers": ["Black Forest"], "answerable": True,
     "doc": "rivers", "para": 1, "plausible": []},
    {"id": "2", "q": "What do barges carry on the Rhine?", "answers": ["coal and grain"], "answerable": True,
     "doc": "rivers", "para": 2, "plausible": []},
    {"id": "3", "q": "Which lake in Siberia is the deepest?", "answers": ["Lake Baikal"], "answerable": True,
     "doc": "lakes", "para": 1, "plausible": []},
    {"id": "4", "q": "Which lake in Siberia is the shallowest?", "answers": [], "answerable": False,
     "doc": "lakes", "para": 1, "plausible": ["Lake Baikal"]},
]
FIGURES = {"hit@1", "hit@3", "para@1", "doc@1", "false_declines", "unanswerable_declined", "fooled",
           "flagged_answerable", "flagged_unanswerable"}
MISS_KINDS = {"declined", "wrong_document", "other_paragraph", "cut_off", "other_sentence", "should_decline"}


@pytest.fixture
def squad_style(tmp_path: Path) -> tuple[Path, Path]:
    kb = tmp_path / "kb"
    kb.mkdir()
    for name, text in SQUAD_STYLE_KB.items():
        (kb / name).write_text(text, encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in SQUAD_STYLE_QUESTIONS), encoding="utf-8")
    return questions, kb


def test_eval_jsonl_end_to_end_with_baselines_and_json(squad_style: tuple[Path, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    questions, kb = squad_style
    out_json = tmp_path / "figures.json"
    assert main(["eval", str(questions), "--knowledge", str(kb), "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "answerable questions: 3" in out and "correct declines: " in out
    for row in ("hit@1 (of 3 answerable)", "para@1 (of 3 answerable, with para)", "doc@1 (of 3 answerable",
                "fooled (of 1 unanswerable, with plausible)", "ms per question, median", "rank_bm25"):
        assert row in out, row
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert report["schema"] == "kb-quote-bot eval 1"
    assert set(report) == {"schema", "questions", "knowledge", "systems", "skipped"}
    assert report["questions"] == {"path": str(questions), "format": "jsonl", "items": 4, "answerable": 3,
                                   "unanswerable": 1, "problems": []}
    assert report["knowledge"] == {"path": str(kb), "documents": 2, "paragraphs": 3}
    names = [s["name"] for s in report["systems"]]
    assert names[0] == "engine"
    assert {"rank_bm25:paragraph", "rank_bm25:sentence", "rank_bm25:window"} <= set(names)
    for system in report["systems"]:
        assert {"name", "library", "unit", "units", "build_seconds", "figures", "mrr", "ms_per_question",
                "miss_counts"} <= set(system)
        assert set(system["figures"]) == FIGURES and set(system["miss_counts"]) == MISS_KINDS
        for name, rate in system["figures"].items():
            if rate is None:  # n/a: only the engine flags a quote that lacks the question's year or name
                assert name.startswith("flagged_") and system["name"] != "engine"
                continue
            assert set(rate) == {"count", "total", "rate"} and rate["rate"] == rate["count"] / rate["total"]
        assert system["figures"]["hit@1"]["total"] == 3 and system["figures"]["fooled"]["total"] == 1
        assert set(system["ms_per_question"]) == {"median", "mean"}
    engine = report["systems"][0]
    assert set(engine) >= {"misses"}
    assert len(engine["misses"]) == sum(engine["miss_counts"].values())
    # the plain paragraph baseline finds each of these one-word-away paragraphs
    paragraph = next(s for s in report["systems"] if s["name"] == "rank_bm25:paragraph")
    assert paragraph["figures"]["hit@1"]["count"] == 3 and paragraph["figures"]["fooled"]["count"] == 1
    assert paragraph["figures"]["false_declines"]["count"] == 0


def test_eval_bad_lines_are_named_and_the_rest_is_scored(squad_style: tuple[Path, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    questions, kb = squad_style
    lines = questions.read_text(encoding="utf-8").splitlines()
    lines.insert(1, '{"q": "broken", "answers": ')
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["eval", str(questions), "--knowledge", str(kb), "--no-baselines"]) == 1
    captured = capsys.readouterr()
    assert f"{questions}:2: not valid JSON" in captured.err
    assert "answerable questions: 3" in captured.out and "1 left out" in captured.out


def test_eval_gates_on_false_declines(squad_style: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    questions, kb = squad_style
    args = ["eval", str(questions), "--knowledge", str(kb), "--no-baselines"]
    from bot.core import engine as engine_module
    from bot.core.answer import Answer, Outcome

    assert main([*args, "--max-false-declines", "0"]) == 0  # the engine answers all three
    # An engine that declines everything: 3 of 3 answerable questions declined.
    monkeypatch.setattr(engine_module.Engine, "ask",
                        lambda self, question, top=None: Answer(question, Outcome.NO_MATCH, ()))
    capsys.readouterr()
    assert main([*args, "--max-false-declines", "0.5"]) == 1
    captured = capsys.readouterr()
    assert "answerable but declined: 3" in captured.out
    assert "false declines 1.000 are above --max-false-declines 0.5" in captured.err
    assert main([*args, "--max-false-declines", "1"]) == 0
    with pytest.raises(SystemExit):
        main([*args, "--max-false-declines", "1.5"])


def test_eval_without_bm25s_notes_the_skip(squad_style: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.evaluation import baselines

    monkeypatch.setattr(baselines, "bm25s_available", lambda: False)
    questions, kb = squad_style
    assert main(["eval", str(questions), "--knowledge", str(kb)]) == 0
    out = capsys.readouterr().out
    assert "note: bm25s skipped: not installed" in out and "bm25s " not in out.split("note:")[0]


def test_core_never_imports_the_evaluation_package() -> None:
    for path in (REPO / "bot" / "core").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "bot.evaluation" not in text, path


def test_command_line_does_not_import_discord() -> None:
    code = (
        "import sys; from bot.cli import main; "
        f"rc = main(['ask', '--json', '--knowledge', {str(REPO / 'knowledge')!r}, 'Who is Gryzlov?']); "
        "assert 'discord' not in sys.modules, 'discord imported'; sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answered"] is True


def test_core_never_imports_discord() -> None:
    for path in (REPO / "bot" / "core").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import discord" not in text and "from discord" not in text, path
