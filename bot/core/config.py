"""Typed settings, declared once, loaded from ``config/config.yaml`` and validated at start-up.

Every setting is one annotated field of a ``msgspec.Struct``: its type, its default, its bounds
(``Meta(ge=…, le=…)``) and the sentence the README's configuration table shows
(``Meta(description=…)``; tests/test_config.py checks the README against
:func:`settings_reference`). Unknown keys and wrong values fail with the dotted key and the
value found (``retrieval.k1: expected a number, got 'fast'``), all of them at once, instead of
surfacing later as odd behaviour. Code that needs a default takes it from these structs.
Secrets never live here: the Discord token comes from the environment.
"""

from __future__ import annotations

import copy
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import msgspec

from bot.core.problems import Problem, ProblemError, load_yaml

DEFAULT_CONFIG_PATH = Path("config/config.yaml")

Variant = Literal["okapi", "bm25l", "bm25plus"]
VARIANTS: tuple[Variant, ...] = typing.get_args(Variant)


def _m(description: str, **bounds: float) -> msgspec.Meta:
    """A setting's README sentence and bounds (``ge``, ``le``, ``gt``)."""
    meta: msgspec.Meta = cast(Any, msgspec.Meta)(description=description, **bounds)
    return meta


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A config section: immutable, unknown keys refused."""


class RankingWeights(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Weights of the quote ranking's features (bot/core/answering/ranking.py explains each).

    Fitted on development question sets by ``scripts/fit_ranking.py``, which rewrites the
    defaults between the markers below; a knowledge base can refit them on its own questions.
    """

    # fitted weights: begin
    chunk_bm25: Annotated[float, _m(
        "ranking: BM25 of the chunks the window overlaps, scaled to the best")] = 1.870
    paragraph_bm25: Annotated[float, _m("ranking: BM25 of the whole paragraph, scaled to the best")] = 2.965
    window_bm25: Annotated[float, _m("ranking: BM25 of the quote window, scaled to the best")] = 3.342
    coverage: Annotated[float, _m("ranking: weighted share of the question's terms in the window")] = 1.527
    term_pairs: Annotated[float, _m(
        "ranking: weighted share of the question's consecutive term pairs found close together")] = 2.924
    exact_words: Annotated[float, _m(
        "ranking: weighted share of the question's words found as written")] = 2.025
    answer_kind: Annotated[float, _m(
        "ranking: the window holds what the question asks for (year, number, name)")] = 1.900
    document_bm25: Annotated[float, _m(
        "ranking: BM25 of the window's document's candidate paragraphs, scaled to the best")] = 0.869
    # fitted weights: end
    window_terms: Annotated[float, _m("ranking: typical window length in terms, for window BM25",
                                      gt=0)] = 25.0


class RetrievalSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    variant: Annotated[Variant, _m("BM25 variant: `okapi`, `bm25l` or `bm25plus`")] = "bm25plus"
    k1: Annotated[float, _m("BM25 term-frequency saturation", ge=0)] = 1.2
    b: Annotated[float, _m("BM25 length normalisation", ge=0, le=1)] = 0.5
    delta: Annotated[float, _m("BM25L/BM25+ lower bound for a matched term", ge=0)] = 0.5
    epsilon: Annotated[float, _m("Okapi only: floor for negative IDF, as a share of the mean IDF",
                                 ge=0)] = 0.25
    top: Annotated[int, _m("passages in an answer", ge=1, le=25)] = 3
    max_quote_chars: Annotated[int, _m("longest quote", ge=80, le=1000)] = 400
    max_quote_sentences: Annotated[int, _m("most sentences in a quote", ge=1, le=5)] = 3
    continue_quote: Annotated[bool, _m(
        "fill the quote with the start of the next sentence, cut at a word with `…`, "
        "when it does not fit whole")] = True
    chunk_sentences: Annotated[int, _m("long paragraphs are indexed as windows of this many "
                                       "sentences…", ge=1, le=50)] = 3
    chunk_overlap: Annotated[int, _m("…overlapping by this many", ge=0)] = 1
    chunk_max_chars: Annotated[int, _m("…when they are longer than this", ge=1)] = 900
    min_coverage: Annotated[float, _m(
        "answer when a passage holds at least this share of the question's weight through "
        "≥ 2 distinctive terms…", ge=0, le=1)] = 0.2
    confident_coverage: Annotated[float, _m("…or this share through any terms", ge=0, le=1)] = 0.38
    distinctive_df: Annotated[float, _m("a distinctive term is in at most this share of the chunks",
                                        gt=0, le=1)] = 0.5
    decide_on: Annotated[Literal["quote", "chunk"], _m(
        "judge coverage over the whole chunk or only the quote (`quote`)")] = "chunk"
    generic_weight: Annotated[float, _m("weight of everyday English words in that judgement",
                                        ge=0, le=1)] = 0.2
    require_answer_kind: Annotated[bool, _m(
        "a \"how many\" question is only answered by a passage with a number (one asking for a "
        "population: beside the word for it), \"How long is …?\" by one with a number and its unit "
        "(\"1,084 km\"), and \"Who is the president of …?\" by one naming someone beside the office")] = True
    require_year: Annotated[bool, _m(
        "a question naming a year (\"in 1990\") is only answered from a paragraph that "
        "mentions that year")] = True
    decline_unknown_names: Annotated[bool, _m(
        "decline a question that names something (a capitalised, non-everyday word, not an abbreviation, "
        "unit or misspelling) the knowledge base never mentions…")] = True
    decline_unused_words: Annotated[bool, _m(
        "decline a question whose every word but its names and answer type (\"what year\") "
        "is one the knowledge base never uses (\"How old is …?\" when no article says old)")] = True
    decline_negated: Annotated[bool, _m(
        "decline a question asking what is *not* the case when the best passage says nothing "
        "negative (not, never, none, without…)")] = True
    unknown_name_share: Annotated[float, _m(
        "…when such names carry at least this share of the question's weight", ge=0, le=1)] = 0.0
    candidates: Annotated[int, _m("how many of BM25's best chunks bring their paragraphs up for ranking",
                                  ge=1, le=200)] = 10
    candidate_paragraphs: Annotated[int, _m("at most this many paragraphs have their windows ranked",
                                            ge=1, le=100)] = 10
    ranking: RankingWeights = RankingWeights()

    def __post_init__(self) -> None:
        if self.chunk_overlap >= self.chunk_sentences:
            raise ValueError(f"chunk_overlap: must be less than chunk_sentences ({self.chunk_sentences}), "
                             f"got {self.chunk_overlap}")
        if self.min_coverage > self.confident_coverage:
            raise ValueError(f"min_coverage: must be at most confident_coverage ({self.confident_coverage}), "
                             f"got {self.min_coverage}")

    @property
    def analysis_key(self) -> tuple[int, int, int]:
        """What the chunks depend on besides the text (an index built with others is not reused)."""
        return (self.chunk_sentences, self.chunk_overlap, self.chunk_max_chars)


class LimitSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    max_file_bytes: Annotated[int, _m("largest knowledge file read from disk (larger ones are "
                                      "reported and left out)", ge=1)] = 5_000_000
    max_paragraphs: Annotated[int, _m("most paragraphs in one knowledge file", ge=1)] = 20_000
    max_alias_names: Annotated[int, _m("most names in `aliases.yaml`, counted after YAML anchors "
                                       "are expanded", ge=2)] = 20_000
    max_question_chars: Annotated[int, _m("longer questions are cut to this many characters "
                                          "before analysis", ge=10, le=100_000)] = 6000


class DiscordSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    token_file: Annotated[str | None, _m("file holding the token, used when `DISCORD_TOKEN` is unset")] = None
    guild_ids: Annotated[list[int], _m("register commands to these servers (instant); empty: globally")] = []
    answer_channel_ids: Annotated[list[int], _m(
        "channels where every message is a question (needs Message Content)")] = []
    cooldown_rate: Annotated[int, _m("per-user limit: questions…", ge=1)] = 5
    cooldown_seconds: Annotated[float, _m("…per this many seconds", ge=0)] = 30.0
    button_cooldown_rate: Annotated[int, _m(
        "per-user limit on button presses per `cooldown_seconds` (presses never run the engine)", ge=1)] = 20
    passages_per_page: Annotated[int, _m("passages per page", ge=1, le=5)] = 3
    max_passages: Annotated[int, _m("how far **More** pages", ge=1, le=25)] = 9
    status_text: Annotated[str, _m("the bot's status")] = "/ask a question"
    heartbeat_file: Annotated[str | None, _m(
        "file refreshed while connected, read by `health` (default `<data_dir>/heartbeat`)")] = None


class ModerationSettings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    moderator_role_ids: Annotated[list[int], _m("roles that may use `/kb` besides Manage Server")] = []
    log_channel_id: Annotated[int | None, _m("channel for reload summaries")] = None
    max_upload_bytes: Annotated[int, _m("largest upload", ge=1)] = 1_000_000
    log_questions: Annotated[bool, _m("keep declined questions for `/kb gaps`")] = True
    retention_days: Annotated[int, _m(
        "feedback, declined questions and stored answers older than this are deleted; 0 keeps them",
        ge=0)] = 90
    watch_interval_seconds: Annotated[float, _m("how often the folder is checked", gt=0)] = 1.0
    reload_debounce_seconds: Annotated[float, _m("how long the folder must be quiet before a rebuild",
                                                 ge=0)] = 1.0


class Settings(_Section, frozen=True, forbid_unknown_fields=True, kw_only=True):
    knowledge_dir: Annotated[str, _m("folder of knowledge files and `aliases.yaml`")] = "knowledge"
    data_dir: Annotated[str, _m("the bot's own records: SQLite database, history, saved index, "
                                "heartbeat")] = "data"
    retrieval: RetrievalSettings = RetrievalSettings()
    limits: LimitSettings = LimitSettings()
    discord: DiscordSettings = DiscordSettings()
    moderation: ModerationSettings = ModerationSettings()


# ---- loading -------------------------------------------------------------------------------------

_AT = re.compile(r"^(?P<what>.*) - at `\$(?P<path>[^`]*)`$", re.S)
_TYPE_WORDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "text",
               "object": "a section of 'key: value' lines", "array": "a list", "null": "nothing"}
_MISSING = object()


def _path_keys(path: str) -> list[str | int]:
    return [int(p[1:-1]) if p.startswith("[") else p.lstrip(".")
            for p in re.findall(r"\.[^.\[]+|\[\d+\]", path)]


def _dotted(keys: list[str | int]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
    return out


def _value_at(data: Any, keys: list[str | int]) -> Any:
    for k in keys:
        try:
            data = data[k]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data


def _field_type(keys: list[str | int]) -> Any:
    """The declared type of the setting at ``keys`` (list items: the item type)."""
    tp: Any = Settings
    for k in keys:
        while typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        if isinstance(k, int):
            args = typing.get_args(tp)
            tp = args[0] if args else Any
            continue
        hints = typing.get_type_hints(tp, include_extras=True) if isinstance(tp, type) else {}
        tp = hints.get(k, Any)
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _describe_type(tp: Any) -> str:
    if typing.get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if tp in (int, float, bool, str):
        return _TYPE_WORDS[tp.__name__]
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _TYPE_WORDS["object"]
    if typing.get_origin(tp) is list:
        item = _describe_type(typing.get_args(tp)[0])
        return "a list of " + (item.removeprefix("a ") + "s")
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return _describe_type(args[0]) if len(args) == 1 else "a valid value"


def _message(what: str, keys: list[str | int], data: Any) -> tuple[str, list[str | int] | None]:
    """A msgspec error as ``key: what is wrong, got value`` and the keys to drop to find the next one."""
    value = _value_at(data, keys)
    got = f", got {value!r}" if value is not _MISSING else ""
    unknown = re.match(r"Object contains unknown field `(?P<name>[^`]*)`", what)
    if unknown:
        section = _field_type(keys)
        known = ", ".join(sorted(f.name for f in msgspec.structs.fields(section)))
        full = [*keys, unknown["name"]]
        return f"{_dotted(full)}: unknown setting (known: {known})", full
    bound = re.match(r"Expected `\w+` (?P<op>>=|<=|>|<) (?P<n>[-\d.e]+)", what)
    if bound:
        n = bound["n"].removesuffix(".0")
        rule = {">=": f"{n} or more", "<=": f"at most {n}", ">": f"more than {n}", "<": f"less than {n}"}
        return f"{_dotted(keys)}: must be {rule[bound['op']]}{got}", keys
    if re.match(r"Expected `[\w| ]+`, got `\w+`|Invalid enum value", what):
        return f"{_dotted(keys)}: expected {_describe_type(_field_type(keys))}{got}", keys
    # A cross-field check of a section ("chunk_overlap: must be less than ..."): name the key.
    key, sep, rest = what.partition(": ")
    if sep and re.fullmatch(r"\w+", key):
        return f"{_dotted([*keys, key])}: {rest}", None
    return f"{_dotted(keys) or 'config'}: {what}", None


def _drop(data: Any, keys: list[str | int]) -> bool:
    parent = _value_at(data, keys[:-1])
    try:
        del parent[keys[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _none_sections_as_empty(data: dict[str, Any]) -> dict[str, Any]:
    """``retrieval:`` with nothing under it means all defaults, as an absent section does."""
    sections = {f.name for f in msgspec.structs.fields(Settings) if f.name in
                ("retrieval", "limits", "discord", "moderation")}
    return {k: ({} if v is None and k in sections else v) for k, v in data.items()}


def _errors(data: dict[str, Any]) -> Iterator[str]:
    """Every problem of ``data``: convert, report, drop the bad key, convert again (at most 30)."""
    data = copy.deepcopy(data)
    for _ in range(30):
        try:
            msgspec.convert(data, Settings)
            return
        except msgspec.ValidationError as exc:
            m = _AT.match(str(exc))
            what, keys = (m["what"], _path_keys(m["path"])) if m else (str(exc), [])
            text, drop = _message(what, keys, data)
            yield text
            if drop is None or not drop or not _drop(data, drop):
                return


def parse_settings(data: Any, source: str = "<config>") -> Settings:
    """Settings from parsed YAML; every wrong key as a :class:`Problem` of ``source``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ProblemError(Problem(source, 1, "config must be a mapping of 'key: value' lines"))
    data = _none_sections_as_empty(data)
    try:
        return msgspec.convert(data, Settings)
    except msgspec.ValidationError:
        raise ProblemError([Problem(source, None, e) for e in _errors(data)]) from None


def load_settings(path: Path | None = None, required: bool = False) -> Settings:
    """Read the config file; a missing default file means all defaults."""
    path = path or DEFAULT_CONFIG_PATH
    if not path.exists():
        if required:
            raise ProblemError(Problem(str(path), None, "config file not found"))
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemError(Problem(str(path), None, f"cannot read: {exc}")) from None
    return parse_settings(load_yaml(text, str(path)), str(path))


# ---- the reference table of the README -------------------------------------------------------------

def _default_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, int):
        return f"`{value}`"
    return f"`{value}`"


def settings_reference() -> list[str]:
    """The README's configuration table rows (``| key | default | what it does |``), from the schema."""
    rows = ["| key | default | what it does |", "|---|---|---|"]

    def walk(struct: type[msgspec.Struct], prefix: str) -> None:
        hints = typing.get_type_hints(struct, include_extras=True)
        for f in msgspec.structs.fields(struct):
            tp = hints[f.name]
            inner = typing.get_args(tp)[0] if typing.get_origin(tp) is Annotated else tp
            if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
                walk(inner, f"{prefix}{f.name}.")
                continue
            meta = next((a for a in typing.get_args(tp)[1:] if isinstance(a, msgspec.Meta)), None)
            description = meta.description if meta is not None and meta.description else ""
            rows.append(f"| `{prefix}{f.name}` | {_default_text(f.default)} | {description} |")

    walk(Settings, "")
    return rows
