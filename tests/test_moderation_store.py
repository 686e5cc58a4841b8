"""The knowledge folder writer: atomic writes, history, remove/restore, download, disk edits, crashes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core.knowledge.aliases import parse_aliases
from bot.core.knowledge.documents import content_hash, knowledge_files, parse_document
from bot.moderation import store as store_module
from bot.moderation.records import Records
from bot.moderation.store import KnowledgeStore, StoreError
from bot.moderation.uploads import UploadRejected
from tests import moderation_crash_worker as worker
from tests.moderation_helpers import BROKEN_FRONT_MATTER, PENGUINS, ZEBRAS, ZEBRAS_V2

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 15


@pytest.fixture
def records(tmp_path: Path) -> Records:
    return Records.open(tmp_path / "data" / "records.db")


@pytest.fixture
def store(tmp_path: Path, records: Records) -> KnowledgeStore:
    return KnowledgeStore(tmp_path / "knowledge", tmp_path / "data" / "history", records,
                          max_upload_bytes=50_000)


def test_upload_writes_file_history_and_audit(store: KnowledgeStore, records: Records) -> None:
    change = store.upload("zebras.md", ZEBRAS, user_id=42)
    assert (store.knowledge_dir / "zebras.md").read_bytes() == ZEBRAS
    assert change.old_hash is None and change.new_hash == content_hash(ZEBRAS)
    change = store.upload("zebras.md", ZEBRAS_V2, user_id=43)
    assert change.old_hash == content_hash(ZEBRAS)
    versions = store.versions("zebras")
    assert [v.content_hash for v in versions] == [content_hash(ZEBRAS_V2), content_hash(ZEBRAS)]
    assert [v.current for v in versions] == [True, False]
    assert versions[1].path.read_bytes() == ZEBRAS
    log = records.audit_log("zebras.md")
    assert [(e.user_id, e.action, e.old_hash, e.new_hash) for e in log] == [
        (43, "upload", content_hash(ZEBRAS), content_hash(ZEBRAS_V2)),
        (42, "upload", None, content_hash(ZEBRAS)),
    ]
    assert not [p for p in store.knowledge_dir.iterdir() if p.name.startswith(".")]  # no temp files left


def test_same_upload_twice_changes_nothing(store: KnowledgeStore, records: Records) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    assert store.upload("zebras.md", ZEBRAS, user_id=1).unchanged
    assert len(records.audit_log()) == 1 and len(store.versions("zebras.md")) == 1


def test_rejected_upload_writes_nothing(store: KnowledgeStore, records: Records) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    for name, data in [("zebras.md", BROKEN_FRONT_MATTER), ("../zebras.md", ZEBRAS),
                       ("zebras.md", b"\xff" * 10), ("zebras.md", ZEBRAS + b"x" * 60_000)]:
        with pytest.raises(UploadRejected):
            store.upload(name, data, user_id=2)
    assert (store.knowledge_dir / "zebras.md").read_bytes() == ZEBRAS
    assert len(records.audit_log()) == 1
    assert not (store.knowledge_dir.parent / "zebras.md").exists()


def test_same_document_id_under_another_extension_is_refused(store: KnowledgeStore) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    with pytest.raises(StoreError, match=r"already used by 'zebras\.md'"):
        store.upload("zebras.txt", ZEBRAS_V2, user_id=1)


def test_remove_then_restore_brings_back_the_exact_bytes(store: KnowledgeStore, records: Records) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    store.remove("zebras", user_id=2)
    assert not (store.knowledge_dir / "zebras.md").exists()
    assert store.current_files() == [] and store.known_files() == ["zebras.md"]
    with pytest.raises(StoreError, match="no document 'zebras'"):
        store.download("zebras")
    change = store.restore("zebras", None, user_id=3)
    assert change.action == "restore"
    assert store.download("zebras") == ("zebras.md", ZEBRAS)
    assert [e.action for e in records.audit_log("zebras.md")] == ["restore", "remove", "upload"]


def test_restore_any_earlier_version_by_number_or_hash(store: KnowledgeStore) -> None:
    v3 = ZEBRAS_V2.replace(b"herds", b"groups")
    for data in (ZEBRAS, ZEBRAS_V2, v3):
        store.upload("zebras.md", data, user_id=1)
    store.restore("zebras.md", "3", user_id=1)  # versions are numbered newest first
    assert store.download("zebras")[1] == ZEBRAS
    store.restore("zebras.md", content_hash(ZEBRAS_V2)[:10], user_id=1)
    assert store.download("zebras")[1] == ZEBRAS_V2
    store.restore("zebras.md", None, user_id=1)  # newest version that is not current: v3
    assert store.download("zebras")[1] == v3
    with pytest.raises(StoreError, match="no version 9"):
        store.restore("zebras.md", "9", user_id=1)
    with pytest.raises(StoreError, match="no version 'deadbeef'"):
        store.restore("zebras.md", "deadbeef", user_id=1)


def test_damaged_history_copy_is_not_restored(store: KnowledgeStore) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    store.upload("zebras.md", ZEBRAS_V2, user_id=1)
    old = store.find_version("zebras.md", None)
    old.path.write_bytes(b"tampered")
    with pytest.raises(StoreError, match="damaged"):
        store.restore("zebras.md", None, user_id=1)
    assert store.download("zebras")[1] == ZEBRAS_V2


def test_aliases_file_has_history_too(store: KnowledgeStore) -> None:
    store.upload("aliases.yaml", b"aliases:\n  - [Kyiv, Kiev]\n", user_id=1)
    store.upload("aliases.yaml", b"aliases:\n  - [Minsk, Mensk]\n", user_id=1)
    assert store.current_files() == ["aliases.yaml"]
    store.restore("aliases.yaml", None, user_id=1)
    assert b"Kyiv" in store.download("aliases.yaml")[1]


def test_sync_archives_and_audits_edits_made_on_disk(store: KnowledgeStore, records: Records) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    (store.knowledge_dir / "zebras.md").write_bytes(ZEBRAS_V2)
    (store.knowledge_dir / "penguins.md").write_bytes(PENGUINS)
    changes = store.sync()
    assert sorted((c.action, c.filename) for c in changes) == [
        ("add on disk", "penguins.md"), ("edit on disk", "zebras.md")]
    assert records.last_changes()["zebras.md"].user_id is None
    kept = {v.content_hash for v in store.versions("zebras")}
    assert kept == {content_hash(ZEBRAS), content_hash(ZEBRAS_V2)}
    (store.knowledge_dir / "penguins.md").unlink()
    assert [c.action for c in store.sync(["penguins.md"])] == ["delete on disk"]
    store.restore("penguins", None, user_id=5)  # a file deleted on disk can still be brought back
    assert store.download("penguins")[1] == PENGUINS
    assert store.sync() == []  # nothing unexplained any more


def test_failed_write_leaves_old_content_and_no_temp_file(store: KnowledgeStore, monkeypatch) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.upload("zebras.md", ZEBRAS_V2, user_id=1)
    monkeypatch.undo()
    assert (store.knowledge_dir / "zebras.md").read_bytes() == ZEBRAS
    leftovers = [p for p in store.knowledge_dir.rglob(".*")] + [p for p in store.history_dir.rglob(".*")]
    assert leftovers == []


def test_leftover_temp_files_are_cleaned_on_open(tmp_path: Path) -> None:
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    (knowledge / ".kbtmp-abc.tmp").write_bytes(b"half a fi")
    KnowledgeStore(knowledge, tmp_path / "h")
    assert list(knowledge.iterdir()) == []


def _check_intact(knowledge: Path, data: Path) -> None:
    allowed = {name: {content_hash(worker.version(name, n)) for n in range(worker.VERSIONS)}
               for name in worker.NAMES}
    allowed["aliases.yaml"] = {content_hash(worker.aliases(n)) for n in range(worker.VERSIONS)}
    visible = [p for p in knowledge.iterdir() if not p.name.startswith(".")]
    assert {p.name for p in visible} <= set(allowed)
    for path in knowledge_files(knowledge):
        raw = path.read_bytes()
        assert content_hash(raw) in allowed[path.name], f"{path.name} is not one full version"
        parse_document(path, raw)
    if (knowledge / "aliases.yaml").exists():
        raw = (knowledge / "aliases.yaml").read_bytes()
        assert content_hash(raw) in allowed["aliases.yaml"]
        parse_aliases(raw, "aliases.yaml")
    for copy in (data / "history").rglob("*"):
        if copy.is_file() and not copy.name.startswith("."):
            assert copy.name.split("-")[1].split(".")[0] == content_hash(copy.read_bytes())
    with sqlite3.connect(data / "records.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        hashes = {h for (h,) in conn.execute("SELECT new_hash FROM audit WHERE new_hash IS NOT NULL")}
    assert hashes <= set().union(*allowed.values())


def test_sigkill_during_repeated_uploads_leaves_files_and_database_intact(tmp_path: Path) -> None:
    """Kill a writer process at random moments; after each kill everything must be whole."""
    knowledge, data = tmp_path / "knowledge", tmp_path / "data"
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    temp_files_seen = 0
    steps_total = 0
    for round_no in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, "-m", "tests.moderation_crash_worker", str(knowledge),
                                 str(data), str(round_no)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout is not None
        wanted = rng.randrange(3, 30)
        steps = 0
        deadline = time.monotonic() + 60
        while steps < wanted and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            steps = int(line)
        time.sleep(rng.random() * 0.02)  # land somewhere inside the next write
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL, "the worker died on its own"
        assert steps >= wanted
        steps_total += steps
        temp_files_seen += _temp_files(knowledge, data)
        _check_intact(knowledge, data)
        KnowledgeStore(knowledge, data / "history")  # reopening clears temp files of the killed writer
        assert not list(knowledge.glob(".kbtmp-*"))
    print(f"crash test: {steps_total} steps over {ROUNDS} kills, {temp_files_seen} temp files left behind")


def _temp_files(knowledge: Path, data: Path) -> int:
    return len(list(knowledge.glob(".kbtmp-*"))) + len(list((data / "history").rglob(".kbtmp-*")))


@pytest.mark.parametrize("kill_at", range(1, 25))
def test_kill_right_before_each_fsync_rename_and_unlink(tmp_path: Path, kill_at: int) -> None:
    """Deterministic kill points: the worker kills itself just before its n-th fsync/rename/unlink."""
    knowledge, data = tmp_path / "knowledge", tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for seed in (1, 2):  # a second writer continues after the first one's crash
        proc = subprocess.run([sys.executable, "-m", "tests.moderation_crash_worker", str(knowledge),
                               str(data), str(seed), str(kill_at * seed)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, timeout=60)
        assert proc.returncode == -signal.SIGKILL
        _check_intact(knowledge, data)


SECRET = b"DISCORD_TOKEN=SECRET-MARKER-4711\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_bytes(SECRET)
    return folder


def kept_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("target", ["outside file", "/proc/self/environ"])
def test_a_link_out_of_the_knowledge_folder_is_never_read_archived_or_served(
    store: KnowledgeStore, records: Records, outside: Path, target: str
) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    (store.knowledge_dir / "env.md").symlink_to(outside / "secret.md" if target == "outside file" else target)
    changes = store.sync()
    assert [(c.action, c.filename) for c in changes] == [("refused", "env.md")]
    assert changes[0].problem == (
        "knowledge/env.md: env.md points outside knowledge/ (a symbolic link?): "
        "it is not read, archived or served; replace it with the file itself on disk."
    )
    kept = kept_bytes(store.history_dir)
    assert b"SECRET-MARKER" not in kept and b"PATH=" not in kept
    assert not (store.history_dir / "env.md").exists()
    assert "env.md" not in {e.document for e in records.audit_log()}
    for attempt in (lambda: store.download("env"), lambda: store.remove("env", user_id=2),
                    lambda: store.upload("env.md", ZEBRAS.replace(b"Zebras", b"Env"), user_id=2)):
        with pytest.raises(StoreError, match=r"env\.md points outside knowledge/"):
            attempt()
    assert (store.knowledge_dir / "env.md").is_symlink()  # left for a moderator to fix on disk
    assert store.versions("env.md") == []


def test_history_copies_linked_out_of_the_history_folder_are_never_listed_or_restored(
    store: KnowledgeStore, outside: Path
) -> None:
    store.upload("zebras.md", ZEBRAS, user_id=1)
    store.upload("zebras.md", ZEBRAS_V2, user_id=1)
    version_name = f"20000101T000000.000000Z-{content_hash(SECRET)}.md"
    (store.history_dir / "zebras.md" / version_name).symlink_to(outside / "secret.md")
    listed = [v.content_hash for v in store.versions("zebras")]
    assert listed == [content_hash(ZEBRAS_V2), content_hash(ZEBRAS)]
    with pytest.raises(StoreError, match="has no version"):
        store.restore("zebras", content_hash(SECRET)[:12], user_id=1)
    # a whole history folder linked out: nothing listed from it, nothing written into it
    (outside / version_name).write_bytes(SECRET)
    (store.history_dir / "penguins.md").symlink_to(outside, target_is_directory=True)
    before = sorted(p.name for p in outside.iterdir())
    assert store.versions("penguins.md") == []
    with pytest.raises(StoreError, match="no earlier versions"):
        store.restore("penguins.md", None, user_id=1)
    with pytest.raises(StoreError, match=r"history folder of 'penguins\.md' points outside history/"):
        store.upload("penguins.md", PENGUINS, user_id=1)
    assert sorted(p.name for p in outside.iterdir()) == before
    assert not (store.knowledge_dir / "penguins.md").exists()
    assert store.download("zebras")[1] == ZEBRAS_V2
