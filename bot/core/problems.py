"""Problems found while loading knowledge, aliases, config or question sets, as ``path:line: message``,
and the one place where YAML is read (safely) and its errors become such problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import yaml

# libyaml's SafeLoader when PyYAML was built with it: the same safe subset of YAML as
# yaml.safe_load (no arbitrary objects), several times faster.
_FAST_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file; the rest of the input still loads."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ProblemError(Exception):
    """Raised when a whole input (one file, or the config) cannot be used."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@contextmanager
def one_file(path: str, what: str = "cannot be read") -> Iterator[None]:
    """The guard for one input file: whatever goes wrong inside (a parser's own exception
    included) becomes a :class:`ProblemError` of this file, so one bad file never stops the rest."""
    try:
        yield
    except ProblemError:
        raise
    except RecursionError:
        raise ProblemError(Problem(path, None, "nested too deeply to be read")) from None
    except Exception as exc:
        raise ProblemError(Problem(path, None, f"{what}: {type(exc).__name__}: {exc}")) from None


def decode_text(data: bytes, path: str, max_bytes: int) -> str:
    """An input file's text: within ``max_bytes`` (``limits.max_file_bytes``), UTF-8 (a BOM is
    dropped); otherwise a problem naming the size or the line of the first bad byte."""
    if len(data) > max_bytes:
        raise ProblemError(Problem(path, None, f"is {len(data):,} bytes; the limit is "
                                               f"{max_bytes:,} (limits.max_file_bytes)"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProblemError(Problem(path, line, f"not valid UTF-8 (byte {exc.start})")) from None


def load_yaml(text: str, path: str, *, first_line: int = 1, what: str = "not valid YAML") -> Any:
    """``yaml.safe_load(text)``, with every failure as a :class:`ProblemError` naming the line.

    ``first_line`` is the line of the file where ``text`` starts (front matter starts on line 2).
    Syntax errors are located by PyYAML's own loader (libyaml points at the end of the block);
    a value that parses but cannot be built (``published: 2024-02-30``) is located by building
    each entry on its own; nesting too deep for the loader is a problem, not a crash.
    """
    try:
        return yaml.load(text, Loader=_FAST_SAFE_LOADER)
    except yaml.YAMLError as exc:
        fast_error: yaml.YAMLError = exc
    except RecursionError:
        raise ProblemError(Problem(path, first_line, f"{what}: nested too deeply")) from None
    except Exception as exc:  # a value libyaml read but Python cannot build (an impossible date)
        line, key = _failing_entry(text)
        where = f"'{key}': " if key is not None else ""
        raise ProblemError(Problem(path, first_line + line, f"{where}{_reason(exc)}")) from None
    if "nesting depth" in str(fast_error) or len(text) > 200_000:
        # Re-parsing in pure Python only to place the error better: not for input that would
        # make it recurse a thousand levels or take seconds.
        mark = getattr(fast_error, "problem_mark", None)
        reason = "nested too deeply" if "nesting depth" in str(fast_error) else \
            (getattr(fast_error, "problem", None) or _reason(fast_error))
        raise ProblemError(Problem(path, first_line + (mark.line if mark is not None else 0),
                                   f"{what}: {reason}")) from None
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        reason = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise ProblemError(Problem(path, line, f"{what}: {reason}")) from None
    except RecursionError:
        raise ProblemError(Problem(path, first_line, f"{what}: nested too deeply")) from None
    except Exception as exc:
        raise ProblemError(Problem(path, first_line, f"{what}: {_reason(exc)}")) from None
    raise ProblemError(Problem(path, first_line, what))  # pragma: no cover - loaders disagree


def _reason(exc: BaseException) -> str:
    return str(exc).split("\n")[0] or type(exc).__name__


def _failing_entry(text: str) -> tuple[int, str | None]:
    """(0-based line, key) of the first top-level entry that cannot be built, else (0, None)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        entries: list[tuple[int, str | None, yaml.Node]]
        if isinstance(node, yaml.MappingNode):
            entries = [(k.start_mark.line, str(k.value), v) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            entries = [(v.start_mark.line, None, v) for v in node.value]
        else:
            return 0, None
        for line, key, value in entries:
            try:
                yaml.SafeLoader("").construct_object(value, deep=True)
            except Exception:
                return line, key
    except Exception:
        pass
    return 0, None


def item_lines(text: str, key: str | None = None) -> list[int]:
    """1-based lines of the items of the top-level list (or of the list under ``key``).

    Only called to point at a problem, so a valid file is parsed once.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except Exception:
        return []
    if key is not None and isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if k.value == key), None)
    if not isinstance(node, yaml.SequenceNode):
        return []
    return [child.start_mark.line + 1 for child in node.value]
