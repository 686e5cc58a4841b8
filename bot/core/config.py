"""Typed settings loaded from ``config/config.yaml`` and validated at start-up.

Each section is a frozen dataclass; the loader walks the type hints, so a new setting is
one annotated field with a default. Unknown keys and wrong types fail with the dotted key
name (``retrieval.k1: expected a number``) instead of surfacing later as odd behaviour.
Secrets never live here: the Discord token comes from the environment.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from bot.core.problems import Problem, ProblemError

DEFAULT_CONFIG_PATH = Path("config/config.yaml")


@dataclass(frozen=True)
class RetrievalSettings:
    variant: Literal["okapi", "bm25l", "bm25plus"] = "bm25plus"
    k1: float = 1.2
    b: float = 0.5
    delta: float = 0.5
    epsilon: float = 0.25
    top: int = 3
    max_quote_chars: int = 400
    max_quote_sentences: int = 3
    continue_quote: bool = True
    chunk_sentences: int = 3
    chunk_overlap: int = 1
    chunk_max_chars: int = 900
    min_coverage: float = 0.2
    confident_coverage: float = 0.4
    distinctive_df: float = 0.5
    decide_on: Literal["quote", "chunk"] = "chunk"
    sentence_weight: float = 0.5
    candidates: int = 10
    answer_kind_bonus: float = 0.15
    require_answer_kind: bool = True
    decline_unknown_names: bool = True
    generic_weight: float = 0.2

    def validate(self) -> list[str]:
        errors = []
        if self.k1 < 0:
            errors.append("k1: must be 0 or more")
        if not 0 <= self.b <= 1:
            errors.append("b: must be between 0 and 1")
        if self.delta < 0:
            errors.append("delta: must be 0 or more")
        if not 1 <= self.top <= 25:
            errors.append("top: must be between 1 and 25")
        if not 80 <= self.max_quote_chars <= 1000:
            errors.append("max_quote_chars: must be between 80 and 1000")
        if not 1 <= self.max_quote_sentences <= 5:
            errors.append("max_quote_sentences: must be between 1 and 5")
        if self.chunk_sentences < 1:
            errors.append("chunk_sentences: must be 1 or more")
        if not 0 <= self.chunk_overlap < self.chunk_sentences:
            errors.append("chunk_overlap: must be 0 or more and less than chunk_sentences")
        if not 0 <= self.min_coverage <= 1:
            errors.append("min_coverage: must be between 0 and 1")
        if not 0 <= self.confident_coverage <= 1:
            errors.append("confident_coverage: must be between 0 and 1")
        if not 0 < self.distinctive_df <= 1:
            errors.append("distinctive_df: must be more than 0 and at most 1")
        return errors


@dataclass(frozen=True)
class DiscordSettings:
    token_file: str | None = None
    guild_ids: list[int] = field(default_factory=list)
    answer_channel_ids: list[int] = field(default_factory=list)
    cooldown_rate: int = 5
    cooldown_seconds: float = 30.0
    button_cooldown_rate: int = 20  # button presses per cooldown_seconds; they never run the engine
    passages_per_page: int = 3
    max_passages: int = 9
    status_text: str = "/ask a question"
    heartbeat_file: str | None = None

    def validate(self) -> list[str]:
        errors = []
        if self.cooldown_rate < 1:
            errors.append("cooldown_rate: must be 1 or more")
        if self.cooldown_seconds < 0:
            errors.append("cooldown_seconds: must be 0 or more")
        if self.button_cooldown_rate < 1:
            errors.append("button_cooldown_rate: must be 1 or more")
        if not 1 <= self.passages_per_page <= 5:
            errors.append("passages_per_page: must be between 1 and 5")
        if not 1 <= self.max_passages <= 25:
            errors.append("max_passages: must be between 1 and 25")
        return errors


@dataclass(frozen=True)
class ModerationSettings:
    moderator_role_ids: list[int] = field(default_factory=list)
    log_channel_id: int | None = None
    max_upload_bytes: int = 1_000_000
    log_questions: bool = True
    reload_debounce_seconds: float = 1.0
    watch_interval_seconds: float = 1.0
    retention_days: int = 90  # feedback, declined questions, stored answers; 0 = keep forever

    def validate(self) -> list[str]:
        errors = []
        if self.max_upload_bytes < 1:
            errors.append("max_upload_bytes: must be 1 or more")
        if self.retention_days < 0:
            errors.append("retention_days: must be 0 (keep forever) or more")
        if self.reload_debounce_seconds < 0:
            errors.append("reload_debounce_seconds: must be 0 or more")
        if self.watch_interval_seconds <= 0:
            errors.append("watch_interval_seconds: must be more than 0")
        return errors


@dataclass(frozen=True)
class Settings:
    knowledge_dir: str = "knowledge"
    data_dir: str = "data"
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    discord: DiscordSettings = field(default_factory=DiscordSettings)
    moderation: ModerationSettings = field(default_factory=ModerationSettings)

    def validate(self) -> list[str]:
        return []


T = TypeVar("T")


def _type_name(tp: Any) -> str:
    names = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}s"
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], key)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ValueError(f"{key}: expected {_type_name(tp)}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"{key}: expected {_type_name(tp)}, got {value!r}")
        (item,) = typing.get_args(tp)
        return [_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ValueError(f"{key}: expected a section of 'key: value' lines, got {value!r}")
        return _build(tp, value, key + ".")
    if tp is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{key}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key}: expected a whole number, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ValueError(f"{key}: expected text, got {value!r}")
        return value
    raise ValueError(f"{key}: unsupported setting type {tp!r}")  # pragma: no cover


def _build(cls: type[T], data: dict[str, Any], prefix: str = "") -> T:
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    errors: list[str] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            errors.append(f"{prefix}{key}: unknown setting (known: {', '.join(sorted(fields))})")
            continue
        try:
            values[key] = _convert(value, hints[key], prefix + key)
        except ValueError as exc:
            errors.extend(str(exc).split("\n"))
    if errors:
        raise ValueError("\n".join(errors))
    obj = cls(**values)
    problems = [prefix + e for e in obj.validate()]  # type: ignore[attr-defined]
    if problems:
        raise ValueError("\n".join(problems))
    return obj


def parse_settings(data: Any, source: str = "<config>") -> Settings:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProblemError(Problem(source, 1, "config must be a mapping of 'key: value' lines"))
    try:
        return _build(Settings, data)
    except ValueError as exc:
        raise ProblemError([Problem(source, None, line) for line in str(exc).split("\n")]) from None


def load_settings(path: Path | None = None, required: bool = False) -> Settings:
    """Read the config file; a missing default file means all defaults."""
    path = path or DEFAULT_CONFIG_PATH
    if not path.exists():
        if required:
            raise ProblemError(Problem(str(path), None, "config file not found"))
        return Settings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", exc)
        raise ProblemError(Problem(str(path), line, f"not valid YAML: {reason}")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemError(Problem(str(path), None, f"cannot read: {exc}")) from None
    return parse_settings(data, str(path))
