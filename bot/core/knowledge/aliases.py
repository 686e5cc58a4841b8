"""``knowledge/aliases.yaml``: moderator-edited groups of names that mean the same thing.

Bounded, because the file is moderators' data that can be uploaded from Discord: YAML anchors
let a few kilobytes name a group thousands of times, and one name of thousands of words would
make every phrase match slow. The total number of names (anchors expanded) and the words per
name are capped, with a problem naming the line, before anything is compiled.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.config import LimitSettings
from bot.core.files import OutsideFolder, read_inside
from bot.core.problems import Problem, ProblemError, decode_text, item_lines, load_yaml, one_file
from bot.core.text.analyzer import MAX_PHRASE_TERMS
from bot.core.text.chars import ELLIPSIS

ALIASES_FILE = "aliases.yaml"
MAX_NAME_CHARS = 200


def parse_aliases(data: bytes, path: str, limits: LimitSettings | None = None) -> tuple[tuple[str, ...], ...]:
    """Accept ``aliases: [[a, b], ...]`` (or a bare list of groups); each group has 2+ names.

    The guard for this one file: any failure is a :class:`ProblemError` of ``path``.
    """
    with one_file(path):
        return _parse(data, path, limits or LimitSettings())


def _parse(data: bytes, path: str, limits: LimitSettings) -> tuple[tuple[str, ...], ...]:
    text = decode_text(data, path, limits.max_file_bytes)
    raw = load_yaml(text, path)
    if raw is None:
        return ()
    key = None
    if isinstance(raw, dict):
        if set(raw) != {"aliases"}:
            extra = ", ".join(str(k) for k in raw if k != "aliases")
            raise ProblemError(Problem(path, 1, f"expected one key 'aliases', found: {extra or 'none'}"))
        raw, key = raw["aliases"] or [], "aliases"
    if not isinstance(raw, list):
        raise ProblemError(Problem(path, 1, "'aliases' must be a list of groups, "
                                            "e.g. - [Lukashenka, Lukashenko]"))
    # len() of a group is cheap even when anchors repeat it: count before touching any name.
    total = sum(len(g) if isinstance(g, list) else 1 for g in raw)
    if total > limits.max_alias_names:
        raise ProblemError(Problem(path, None, f"names {total:,} aliases (YAML anchors expanded); the limit "
                                               f"is {limits.max_alias_names:,} (limits.max_alias_names)"))
    groups: list[tuple[str, ...]] = []
    bad: list[tuple[int, str]] = []
    for i, group in enumerate(raw):
        if not isinstance(group, list) or not all(isinstance(n, (str, int)) for n in group):
            bad.append((i, "each alias group must be a list of names"))
            continue
        names = tuple(str(n).strip() for n in group if str(n).strip())
        too_long = next((n for n in names if len(n) > MAX_NAME_CHARS or len(n.split()) > MAX_PHRASE_TERMS),
                        None)
        if too_long is not None:
            bad.append((i, f"an alias name has at most {MAX_PHRASE_TERMS} words and {MAX_NAME_CHARS} "
                           f"characters: '{too_long[:40]}{ELLIPSIS}'"))
            continue
        if len(names) < 2:
            bad.append((i, "an alias group needs at least two names"))
            continue
        groups.append(names)
    if bad:
        lines = item_lines(text, key)
        raise ProblemError([Problem(path, lines[i] if i < len(lines) else None, message)
                            for i, message in bad])
    return tuple(groups)


def load_aliases(directory: Path, limits: LimitSettings | None = None) -> tuple[tuple[str, ...], ...]:
    """The alias groups of ``directory/aliases.yaml`` (none when the file does not exist)."""
    path = directory / ALIASES_FILE
    if not path.exists():
        return ()
    limits = limits or LimitSettings()
    try:
        data = read_inside(path, directory, limits.max_file_bytes)
    except OutsideFolder:
        raise ProblemError(Problem(str(path), None, f"points outside {directory.name}/ "
                                                    "(a symbolic link?); not read")) from None
    except OSError as exc:
        raise ProblemError(Problem(str(path), None, f"cannot read: {exc.strerror or exc}")) from None
    return parse_aliases(data, str(path), limits)
