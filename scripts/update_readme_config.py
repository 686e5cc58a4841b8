"""Rewrite the README's configuration table from the settings schema (bot/core/config.py).

tests/test_config.py fails when the two differ; run this after adding or changing a setting:
    python scripts/update_readme_config.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.config import settings_reference  # noqa: E402


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.index("## Configuration reference")
    end = text.index("\n## ", start + 1)
    lines = text[start:end].split("\n")
    rows = [i for i, line in enumerate(lines) if line.startswith("|")]
    lines[rows[0]:rows[-1] + 1] = settings_reference()
    readme.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")
    print(f"{readme}: {len(settings_reference()) - 2} settings")


if __name__ == "__main__":
    main()
