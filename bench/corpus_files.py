"""Writing a generated corpus to disk: the one helper both generators share.

It lives apart from both so that `independent_corpus` shares no code with `corpus_gen` (the
point of a second, independent recipe).
"""

from __future__ import annotations

from pathlib import Path


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """Write a generated corpus's ``{file name: bytes}`` into ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder
