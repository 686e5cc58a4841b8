"""``knowledge/aliases.yaml``: moderator-edited groups of names that mean the same thing."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.problems import Problem, ProblemError


def parse_aliases(data: bytes, path: str) -> tuple[tuple[str, ...], ...]:
    """Accept ``aliases: [[a, b], ...]`` (or a bare list of groups); each group has 2+ names."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError(Problem(path, data[: exc.start].count(b"\n") + 1, "not valid UTF-8")) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ProblemError(Problem(path, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")) from None
    if raw is None:
        return ()
    items_node = node
    if isinstance(raw, dict):
        if set(raw) != {"aliases"}:
            extra = ", ".join(str(k) for k in raw if k != "aliases")
            raise ProblemError(Problem(path, 1, f"expected one key 'aliases', found: {extra or 'none'}"))
        raw = raw["aliases"] or []
        assert isinstance(node, yaml.MappingNode)
        items_node = node.value[0][1]
    if not isinstance(raw, list):
        raise ProblemError(Problem(path, 1, "'aliases' must be a list of groups, "
                                            "e.g. - [Lukashenka, Lukashenko]"))
    groups: list[tuple[str, ...]] = []
    problems: list[Problem] = []
    child_nodes = items_node.value if isinstance(items_node, yaml.SequenceNode) else []
    for i, group in enumerate(raw):
        line = child_nodes[i].start_mark.line + 1 if i < len(child_nodes) else None
        if not isinstance(group, list) or not all(isinstance(n, (str, int)) for n in group):
            problems.append(Problem(path, line, "each alias group must be a list of names"))
            continue
        names = tuple(str(n).strip() for n in group if str(n).strip())
        if len(names) < 2:
            problems.append(Problem(path, line, "an alias group needs at least two names"))
            continue
        groups.append(names)
    if problems:
        raise ProblemError(problems)
    return tuple(groups)


def load_aliases(directory: Path, filename: str = "aliases.yaml") -> tuple[tuple[str, ...], ...]:
    path = directory / filename
    if not path.exists():
        return ()
    return parse_aliases(path.read_bytes(), str(path))
