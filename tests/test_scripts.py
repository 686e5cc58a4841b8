"""The development scripts run against today's settings types (a script that only a person runs
rots silently: tune_retrieval.py broke when the settings became msgspec structs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ARTICLE = """---
title: Farm notes
published: 2024-05-01
---

The farm keeps forty goats. The goats give milk every morning.

The cheese is sold at the market on Fridays. The market opens at dawn.

Bees pollinate the orchard in April. The honey is harvested in August.
"""

QUESTIONS = """\
- question: "How many goats does the farm keep in its barn?"
  expect: ["forty goats"]
- question: "When is the cheese sold at the village market?"
  expect: ["Fridays"]
- question: "When is the honey harvested from the hives?"
  expect: ["August"]
"""


def test_tune_retrieval_applies_each_setting_of_the_grid_and_prints_the_best_first(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "farm.md").write_text(ARTICLE, encoding="utf-8")
    questions = tmp_path / "questions.yaml"
    questions.write_text(QUESTIONS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts/tune_retrieval.py"), str(questions), "--knowledge", str(kb),
         "--grid", "confident_coverage=0.99;min_coverage=0.99,0.2", "--config", str(tmp_path / "none.yaml")],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    # Every question is answered at min_coverage 0.2; at 0.99 none of them is (each has a word
    # the article never uses), so that setting ranks second.
    assert lines[0].startswith("confident_coverage=0.99 min_coverage=0.2 ") and "hit@1 1.000" in lines[0]
    assert lines[1].startswith("confident_coverage=0.99 min_coverage=0.99 ") and "hit@1 0.000" in lines[1]


def test_add_distractors_copies_the_folder_and_adds_generated_articles_that_load(tmp_path: Path) -> None:
    from bot.core.knowledge.documents import load_documents

    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "farm.md").write_text(ARTICLE, encoding="utf-8")
    (kb / "aliases.yaml").write_text("aliases:\n  - [goat, goats]\n", encoding="utf-8")
    out = tmp_path / "larger"

    def run_to(target: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(REPO / "scripts/add_distractors.py"), str(kb), str(target),
                               "--paragraphs", "60", *extra],
                              capture_output=True, text=True, timeout=120, cwd=REPO, check=False)

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return run_to(out, *extra)

    done = run("--also", str(REPO / "knowledge" / "russia-belarus-relations.md"))
    assert done.returncode == 0, done.stderr
    assert (out / "farm.md").read_bytes() == (kb / "farm.md").read_bytes()
    assert (out / "aliases.yaml").read_bytes() == (kb / "aliases.yaml").read_bytes()
    loaded = load_documents(out)
    assert not loaded.problems
    generated = [d for d in loaded.documents if d.doc_id.startswith("distractor-")]
    assert len(loaded.documents) == len(generated) + 2 and sum(len(d.paragraphs) for d in generated) == 60
    again = run()  # never into a folder that already holds files
    assert again.returncode == 2 and "exists and is not empty" in again.stderr
    twice = tmp_path / "twice"
    same = run_to(twice, "--also", str(kb / "farm.md"))  # a file of the folder added again
    assert same.returncode == 2 and "two files named farm.md" in same.stderr
    assert not twice.exists()  # refused before anything was written
