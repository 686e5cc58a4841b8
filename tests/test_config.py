"""Settings are declared once: the schema's defaults are what the README and the example config
say, and every wrong value is refused with the key, the rule and the value found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.config import Settings, load_settings, parse_settings, settings_reference
from bot.core.problems import ProblemError

REPO = Path(__file__).resolve().parent.parent


def test_the_readme_configuration_table_is_the_schema() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows == settings_reference()


def test_uncommenting_every_example_in_the_shipped_config_changes_nothing(tmp_path: Path) -> None:
    shipped = REPO / "config" / "config.yaml"
    assert load_settings(shipped) == Settings()
    uncommented = re.sub(r"(?m)^(\s*)# ([a-z_0-9]+: .*)$", r"\1\2", shipped.read_text(encoding="utf-8"))
    example = tmp_path / "config.yaml"
    example.write_text(uncommented.replace("token_file: /run/secrets/discord_token", "token_file: null"),
                       encoding="utf-8")
    assert uncommented.count("\n") == shipped.read_text(encoding="utf-8").count("\n")
    assert load_settings(example) == Settings()  # every example value is the default it claims


@pytest.mark.parametrize(("data", "message"), [
    ({"retrieval": {"k1": "fast"}}, "retrieval.k1: expected a number, got 'fast'"),
    ({"retrieval": {"k1": -1}}, "retrieval.k1: must be 0 or more, got -1"),
    ({"retrieval": {"top": 30}}, "retrieval.top: must be at most 25, got 30"),
    ({"retrieval": {"variant": "bm26"}},
     "retrieval.variant: expected one of 'okapi', 'bm25l', 'bm25plus', got 'bm26'"),
    ({"retrieval": {"topp": 3}}, "retrieval.topp: unknown setting (known: "),
    ({"discord": {"guild_ids": [1, "x"]}}, "discord.guild_ids[1]: expected a whole number, got 'x'"),
    ({"discord": {"cooldown_rate": True}}, "discord.cooldown_rate: expected a whole number, got True"),
    ({"retrieval": {"min_coverage": 0.5, "confident_coverage": 0.3}},
     "retrieval.min_coverage: must be at most confident_coverage (0.3), got 0.5"),
    ({"retrieval": {"chunk_sentences": 2, "chunk_overlap": 2}},
     "retrieval.chunk_overlap: must be less than chunk_sentences (2), got 2"),
    ({"moderation": 5}, "moderation: expected a section of 'key: value' lines, got 5"),
    ({"limits": {"max_file_bytes": 0}}, "limits.max_file_bytes: must be 1 or more, got 0"),
])
def test_a_wrong_value_names_the_key_the_rule_and_the_value(data: dict[str, object], message: str) -> None:
    with pytest.raises(ProblemError) as caught:
        parse_settings(data, "config.yaml")
    assert any(str(p).startswith(f"config.yaml: {message}") for p in caught.value.problems), caught.value


def test_every_wrong_key_is_reported_at_once() -> None:
    with pytest.raises(ProblemError) as caught:
        parse_settings({"retrieval": {"k1": "x", "b": 2, "oops": 1}, "discord": {"max_passages": 0}})
    keys = sorted(str(p).split(": ")[1] for p in caught.value.problems)
    assert keys == ["discord.max_passages", "retrieval.b", "retrieval.k1", "retrieval.oops"]


def test_an_empty_section_means_its_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("retrieval:\ndiscord:\n  guild_ids: [7]\n", encoding="utf-8")
    settings = load_settings(path)
    assert settings.retrieval == Settings().retrieval and settings.discord.guild_ids == [7]
