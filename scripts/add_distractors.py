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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.independent_corpus import generate  # noqa: E402
from bot.core.knowledge.documents import KNOWLEDGE_SUFFIXES, knowledge_files  # noqa: E402

PREFIX = "distractor-"  # generated files' names, apart from the source folder's


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
    sources = knowledge_files(args.source)
    if not sources:
        parser.error(f"source: no knowledge files in {args.source}")
    for extra in args.also:
        if not extra.is_file() or extra.suffix.lower() not in KNOWLEDGE_SUFFIXES:
            parser.error(f"--also: {extra} is not a knowledge file ({', '.join(KNOWLEDGE_SUFFIXES)})")
    args.out.mkdir(parents=True, exist_ok=True)
    copied = [*sources, *args.also]
    if (args.source / "aliases.yaml").is_file():
        copied.append(args.source / "aliases.yaml")
    for path in copied:
        if (args.out / path.name).exists():
            parser.error(f"two files named {path.name}")
        shutil.copyfile(path, args.out / path.name)
    generated = generate(args.paragraphs, seed=args.seed, n_questions=0) if args.paragraphs else None
    files = {f"{PREFIX}{name}": data for name, data in generated.files.items()} if generated else {}
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"{args.out}: {len(sources) + len(args.also)} knowledge files copied, {len(files)} generated "
          f"({args.paragraphs} paragraphs, seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
