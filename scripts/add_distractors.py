"""A copy of a knowledge folder made larger by articles that no question is about.

A community's knowledge base holds many documents besides the one a question is about, and
each of them can bring up a wrong paragraph or change the weights that decide whether to
answer. This makes such a folder from an evaluation set's own: its knowledge files and
aliases.yaml copied unchanged, plus ``--paragraphs`` paragraphs of generated article-like
Markdown (``bench/independent_corpus.py``: real English words, names, numbers and dates,
nothing taken from the questions) and any real ``--also`` files. Then eval the same questions
on both folders:

    python scripts/add_distractors.py tests/data/squad-dev/kb /tmp/kb-larger --paragraphs 400 \
        --also knowledge/russia-belarus-relations.md
    python -m bot eval tests/data/squad-dev/questions.jsonl --knowledge /tmp/kb-larger
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.independent_corpus import generate  # noqa: E402
from bot.core.knowledge.documents import KNOWLEDGE_SUFFIXES, knowledge_files  # noqa: E402

PREFIX = "distractor-"  # generated files' names, apart from the source folder's


def make_larger(source: Path, out: Path, paragraphs: int = 400, seed: int = 3,
                also: Sequence[Path] = ()) -> tuple[int, int]:
    """Copy ``source``'s knowledge files and aliases.yaml and ``also`` into ``out`` and add
    ``paragraphs`` generated paragraphs; (files copied, files generated). ``out`` must be empty
    or new, and the files checked (``main`` says which argument is wrong)."""
    sources = knowledge_files(source)
    copied = [*sources, *also]
    if (source / "aliases.yaml").is_file():
        copied.append(source / "aliases.yaml")
    names = [path.name for path in copied]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:  # checked before anything is written
        raise ValueError(f"two files named {twice[0]}")
    out.mkdir(parents=True, exist_ok=True)
    for path in copied:
        shutil.copyfile(path, out / path.name)
    generated = generate(paragraphs, seed=seed, n_questions=0) if paragraphs else None
    files = {f"{PREFIX}{name}": data for name, data in generated.files.items()} if generated else {}
    for name, data in files.items():
        (out / name).write_bytes(data)
    return len(sources) + len(also), len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="knowledge folder to copy")
    parser.add_argument("out", type=Path, help="new folder (must not exist, or be empty)")
    parser.add_argument("--paragraphs", type=int, default=400, help="generated paragraphs (default 400)")
    parser.add_argument("--seed", type=int, default=3, help="generator seed (default 3)")
    parser.add_argument("--also", type=Path, nargs="*", default=[], help="further knowledge files to add")
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"out: {args.out} exists and is not empty")
    if args.paragraphs < 0:
        parser.error("--paragraphs: must be at least 0")
    if not knowledge_files(args.source):
        parser.error(f"source: no knowledge files in {args.source}")
    for extra in args.also:
        if not extra.is_file() or extra.suffix.lower() not in KNOWLEDGE_SUFFIXES:
            parser.error(f"--also: {extra} is not a knowledge file ({', '.join(KNOWLEDGE_SUFFIXES)})")
    try:
        copied, generated = make_larger(args.source, args.out, args.paragraphs, args.seed, args.also)
    except ValueError as e:
        parser.error(str(e))
    print(f"{args.out}: {copied} knowledge files copied, {generated} generated "
          f"({args.paragraphs} paragraphs, seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
