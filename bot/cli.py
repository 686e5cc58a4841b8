"""Command line: ``python -m bot ask|check|eval|run|health``.

Only the core (and, for ``eval``, bot.evaluation) is imported for ``ask``, ``check`` and
``eval`` (no ``discord``), so the command line starts fast and works without a token; ``ask``
and ``eval`` start from the saved
index when it is still valid. ``run`` imports the Discord layer lazily. Output is a clean pipe:
``ask --json --batch`` writes exactly one UTF-8 JSON object per input line, and text meant for a
terminal has its control characters escaped (a file name or a quote cannot move the cursor or
forge a ``path:line:`` line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.core.config import DEFAULT_CONFIG_PATH, Settings, load_settings
from bot.core.problems import Problem, ProblemError
from bot.render_text import terminal_safe

if TYPE_CHECKING:
    from bot.core.engine import Engine

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _add_knowledge_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--knowledge", metavar="DIR", type=Path, default=None,
                   help="knowledge folder (default: knowledge_dir from the config, else knowledge/)")
    p.add_argument("--config", metavar="FILE", type=Path, default=None,
                   help=f"config file (default: {DEFAULT_CONFIG_PATH})")


def _bounded(kind: Callable[[str], float], low: float, high: float | None,
             words: str) -> Callable[[str], float]:
    """An argparse type: ``kind(text)`` between ``low`` and ``high``, else a message saying so."""
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}")
        return value
    return convert


_top = _bounded(int, 1, 25, "a whole number from 1 to 25")
_rate = _bounded(float, 0.0, 1.0, "a number from 0 to 1")
_count = _bounded(int, 0, None, "a whole number, 0 or more")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer a question from the knowledge base")
    ask.add_argument("question", nargs="*", help="the question; none for an interactive prompt")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--batch", metavar="FILE", type=Path,
                     help="with --json: one question per line, one JSON object per line out ('-' for stdin)")
    ask.add_argument("--top", metavar="N", type=_top,
                     help="passages to show (default from config: 3)")
    _add_knowledge_options(ask)

    check = sub.add_parser("check", help="validate config and knowledge; exit 1 on any problem")
    _add_knowledge_options(check)

    ev = sub.add_parser("eval", help="score answers against a question set, beside plain BM25 baselines")
    ev.add_argument("file", type=Path,
                    help="YAML list of {question, expect} items, or SQuAD-style JSON Lines (.jsonl)")
    ev.add_argument("--min-hit1", type=_rate, default=None, metavar="X",
                    help="exit 1 when the engine's hit@1 is below X (0..1)")
    ev.add_argument("--max-false-declines", type=_rate, default=None, metavar="X",
                    help="exit 1 when the engine declines more than X (0..1) of the answerable questions")
    ev.add_argument("--json", type=Path, default=None, metavar="FILE",
                    help="also write every figure as JSON (schema: bot/evaluation/report.py)")
    ev.add_argument("--examples", type=_count, default=5, metavar="N",
                    help="misses shown per kind (default 5; the JSON file has all)")
    ev.add_argument("--no-baselines", dest="baselines", action="store_false",
                    help="score the engine only")
    _add_knowledge_options(ev)

    run = sub.add_parser("run", help="start the Discord bot (token from DISCORD_TOKEN)")
    _add_knowledge_options(run)

    health = sub.add_parser("health",
                            help="exit 0 when the running bot is connected (container health check)")
    health.add_argument("--max-age", type=float, default=90.0, metavar="SECONDS",
                        help="heartbeat older than this counts as unhealthy (default 90)")
    _add_knowledge_options(health)

    return parser


def _settings(args: argparse.Namespace) -> Settings:
    explicit = args.config is not None
    return load_settings(args.config or DEFAULT_CONFIG_PATH, required=explicit)


def _knowledge_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return args.knowledge if args.knowledge is not None else Path(settings.knowledge_dir)


def _clean(text: str) -> str:
    """``text`` as valid Unicode: bytes that were not UTF-8 (argv, a pipe) become U+FFFD."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _emit_json(obj: dict[str, object]) -> None:
    """One JSON object per line, always UTF-8 whatever the terminal's locale."""
    line = (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        buffer.write(line)
        buffer.flush()
    else:  # pragma: no cover - a stdout without a byte buffer
        sys.stdout.write(line.decode("utf-8"))
        sys.stdout.flush()


def _warn_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(f"warning: {terminal_safe(str(problem))}", file=sys.stderr)


def _engine(args: argparse.Namespace, settings: Settings) -> tuple[Engine, Path] | int:
    """The engine from the saved index when it is still valid (else built and saved)."""
    from bot.core.engine import Engine
    from bot.core.index.saved import load_or_build

    directory = _knowledge_dir(args, settings)
    snapshot = load_or_build(directory, Path(settings.data_dir), settings.retrieval, settings.limits)
    _warn_problems(snapshot.problems)
    if not snapshot.documents:
        print(f"error: no knowledge files could be loaded from {terminal_safe(str(directory))}",
              file=sys.stderr)
        return EXIT_PROBLEMS
    return Engine(snapshot, settings.limits), directory


def _batch_lines(source: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line number, question, problem) for every line of ``source`` (``-``: stdin), blank ones too."""
    stream = sys.stdin.buffer if str(source) == "-" else source.open("rb")
    with stream:
        for number, raw in enumerate(stream, 1):
            raw = raw.rstrip(b"\n").rstrip(b"\r")
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                yield number, raw.decode("utf-8", "replace"), \
                    f"line {number} is not valid UTF-8 (byte {exc.start}); it was not asked"


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render_text import render_text

    if args.batch is not None and not args.json:
        print("error: --batch needs --json", file=sys.stderr)
        return EXIT_USAGE
    if args.batch is not None and args.question:
        print("error: give either a question or --batch FILE, not both", file=sys.stderr)
        return EXIT_USAGE
    if args.json and args.batch is None and not args.question:
        print("error: --json needs a question or --batch FILE", file=sys.stderr)
        return EXIT_USAGE
    if args.batch is not None and str(args.batch) != "-" and not args.batch.is_file():
        print(f"error: --batch {terminal_safe(str(args.batch))}: no such file", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args)
    loaded = _engine(args, settings)
    if isinstance(loaded, int):
        return loaded
    engine, _directory = loaded

    def emit(question: str) -> None:
        answer = engine.ask(_clean(question), args.top)
        if args.json:
            _emit_json(answer.to_json())
        else:
            print(render_text(answer, color=sys.stdout.isatty()), flush=True)

    if args.batch is not None:
        try:
            for _number, question, problem in _batch_lines(args.batch):
                if problem is None:
                    emit(question)
                else:  # one object per input line, always: say why this one has no answer
                    _emit_json({"question": question, "answered": False, "passages": [], "unused_words": [],
                                "error": problem})
        except OSError as exc:
            print(f"error: --batch {terminal_safe(str(args.batch))}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    if args.question:
        emit(" ".join(args.question))
        return EXIT_OK
    print("Ask a question (empty line or Ctrl-D to quit).", file=sys.stderr)
    while True:
        try:
            question = input("? ")
        except (EOFError, KeyboardInterrupt):
            print(file=sys.stderr)
            return EXIT_OK
        except UnicodeDecodeError:
            print("That line was not valid UTF-8; please type it again.", file=sys.stderr)
            continue
        if not question.strip():
            return EXIT_OK
        emit(question)
        print()


def cmd_check(args: argparse.Namespace) -> int:
    from bot.core.index.build import load_snapshot

    settings = _settings(args)
    directory = _knowledge_dir(args, settings)
    snap = load_snapshot(directory, settings.retrieval, settings.limits)
    for problem in snap.problems:
        print(terminal_safe(str(problem)))
    if snap.problems:
        return EXIT_PROBLEMS
    if not snap.documents:
        print(f"{terminal_safe(str(directory))}: no knowledge files (*.md, *.markdown, *.txt)")
        return EXIT_PROBLEMS
    print(f"ok: {len(snap.documents)} document(s), {len(snap.chunks)} chunk(s), "
          f"{len(snap.alias_groups)} alias group(s)")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation.questions import load_questions
    from bot.evaluation.report import report_lines, write_json
    from bot.evaluation.runner import run_eval

    settings = _settings(args)
    directory = _knowledge_dir(args, settings)
    questions = load_questions(args.file)  # a file that cannot be read at all: ProblemError
    for problem in questions.problems:
        print(terminal_safe(str(problem)), file=sys.stderr)
    loaded = _engine(args, settings)
    if isinstance(loaded, int):
        return loaded
    engine, _directory = loaded
    run = run_eval(engine, questions, directory, baselines=args.baselines)
    for line in report_lines(run, args.examples):
        print(terminal_safe(line))
    if args.json is not None:
        try:
            write_json(run, args.json)
        except OSError as exc:
            reason = terminal_safe(str(exc.strerror or exc))
            print(f"error: --json {terminal_safe(str(args.json))}: {reason}", file=sys.stderr)
            return EXIT_PROBLEMS
    status = EXIT_OK
    figures = run.engine
    hit1 = figures.hit1.rate or 0.0
    if args.min_hit1 is not None and hit1 < args.min_hit1:
        print(f"hit@1 {hit1:.3f} is below --min-hit1 {args.min_hit1}", file=sys.stderr)
        status = EXIT_PROBLEMS
    declined = figures.false_declines.rate or 0.0
    if args.max_false_declines is not None and declined > args.max_false_declines:
        print(f"false declines {declined:.3f} are above --max-false-declines {args.max_false_declines}",
              file=sys.stderr)
        status = EXIT_PROBLEMS
    if questions.problems:
        print(f"{terminal_safe(str(args.file))}: {len(questions.problems)} item(s) left out (problems above)",
              file=sys.stderr)
        status = EXIT_PROBLEMS
    return status


def cmd_run(args: argparse.Namespace) -> int:
    from bot.discord_app.runner import run_bot

    return run_bot(_settings(args), args.knowledge)


def cmd_health(args: argparse.Namespace) -> int:
    from bot.health import check_health

    return check_health(_settings(args), args.max_age)


COMMANDS = {"ask": cmd_ask, "check": cmd_check, "eval": cmd_eval, "run": cmd_run,
            "health": cmd_health}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ProblemError as exc:
        for problem in exc.problems:
            print(terminal_safe(str(problem)), file=sys.stderr)
        return EXIT_PROBLEMS if args.command in ("check", "eval") else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `python -m bot eval ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
