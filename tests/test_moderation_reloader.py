"""Live reload: the watcher picks up edits, debounces bursts, keeps last good versions, and
questions keep being answered from the previous index while a rebuild runs."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from bot.core.config import RetrievalSettings
from bot.core.engine import Engine
from bot.core.index.build import load_snapshot
from bot.core.index.saved import load_saved_snapshot
from bot.moderation.records import Records
from bot.moderation.reloader import FolderMissing, Reloader, ReloadSummary, folder_fingerprint
from bot.moderation.store import KnowledgeStore, StoreError
from tests.moderation_helpers import BROKEN_FRONT_MATTER, PENGUINS, ZEBRAS, ZEBRAS_V2, doc

SETTINGS = RetrievalSettings()


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "zebras.md").write_bytes(ZEBRAS)
    (folder / "penguins.md").write_bytes(PENGUINS)
    return folder


def answered_from(engine: Engine, question: str) -> set[str]:
    return {p.citation.doc_id for p in engine.ask(question).passages}


async def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def test_reload_now_summarises_added_changed_removed(knowledge: Path) -> None:
    engine = Engine.from_folder(knowledge, SETTINGS)
    summaries: list[ReloadSummary] = []

    async def listener(summary: ReloadSummary) -> None:
        summaries.append(summary)

    reloader = Reloader(engine, knowledge, SETTINGS, listener=listener)
    (knowledge / "zebras.md").write_bytes(ZEBRAS_V2)
    (knowledge / "penguins.md").unlink()
    (knowledge / "owls.md").write_bytes(doc("Owls", "Owls hunt mice at night with silent wings."))
    (knowledge / "aliases.yaml").write_bytes(b"aliases:\n  - [owl, owls, strigiformes]\n")
    summary = await reloader.reload_now("test")
    assert (summary.added, summary.changed, summary.removed) == (("owls",), ("zebras",), ("penguins",))
    assert summary.aliases_changed and summary.changed_anything
    assert summary.chunk_counts == {"zebras": 1, "owls": 1}
    assert (summary.documents, summary.chunks, summary.problems) == (2, 2, ())
    assert summaries == [summary]
    assert answered_from(engine, "How do owls hunt?") == {"owls"}
    assert "penguins" not in answered_from(engine, "Where do penguins live in Antarctica?")
    text = summary.render()
    assert "Added: owls (1 chunks)" in text and "Removed: penguins" in text and "Aliases changed." in text
    again = await reloader.reload_now("test")
    assert not again.changed_anything and "No change" in again.render()


async def test_a_reload_keeps_the_saved_index_current(knowledge: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = Engine.from_folder(knowledge, SETTINGS)
    reloader = Reloader(engine, knowledge, SETTINGS, data_dir=data)
    (knowledge / "owls.md").write_bytes(doc("Owls", "Owls hunt mice at night with silent wings."))
    await reloader.reload_now("test")
    restarted = load_saved_snapshot(knowledge, data, SETTINGS)  # a restart now needs no rebuild
    assert restarted is not None and {d.doc_id for d in restarted.documents} == {"zebras", "penguins", "owls"}
    assert answered_from(Engine(restarted), "How do owls hunt?") == {"owls"}


async def test_broken_file_keeps_last_good_version_and_reports_path_line(knowledge: Path) -> None:
    engine = Engine.from_folder(knowledge, SETTINGS)
    reloader = Reloader(engine, knowledge, SETTINGS)
    (knowledge / "zebras.md").write_bytes(BROKEN_FRONT_MATTER)
    summary = await reloader.reload_now()
    assert summary.problems == ("knowledge/zebras.md:2: front matter is not valid YAML: "
                                "expected ',' or ']', but got '<stream end>'",)
    assert summary.kept_last_good == ("zebras",)
    assert not summary.changed_anything
    assert answered_from(engine, "What do zebras eat?") == {"zebras"}
    assert "still serving the last good version of zebras" in summary.render()
    (knowledge / "zebras.md").write_bytes(ZEBRAS_V2)
    fixed = await reloader.reload_now()
    assert fixed.problems == () and fixed.changed == ("zebras",)
    assert "standing" in engine.ask("Do zebras sleep standing?").passages[0].quote


async def test_watcher_picks_up_edits_and_debounces_a_burst(knowledge: Path) -> None:
    engine = Engine.from_folder(knowledge, SETTINGS)
    summaries: list[ReloadSummary] = []

    async def listener(summary: ReloadSummary) -> None:
        summaries.append(summary)

    reloader = Reloader(engine, knowledge, SETTINGS, interval=0.05, debounce=0.4, listener=listener)
    await reloader.start()
    try:
        await asyncio.sleep(0.2)  # idle polls: nothing changed (the first summary below is the burst's)
        for i in range(6):  # a burst: an editor saving repeatedly
            (knowledge / "owls.md").write_bytes(doc("Owls", f"Owls hunt mice at night, draft {i}."))
            await asyncio.sleep(0.05)
        await wait_for(lambda: len(summaries) >= 1)
        assert summaries[0].added == ("owls",) and summaries[0].reason == "files changed"
        assert "draft 5" in engine.ask("How do owls hunt mice?").passages[0].quote
        (knowledge / "owls.md").unlink()  # a later change: its reload is the sentinel
        await wait_for(lambda: any(s.removed for s in summaries))
        # Nothing was reloaded while idle, and the burst was one reload: its summary, then the removal's.
        assert [(s.added, s.removed) for s in summaries] == [(("owls",), ()), ((), ("owls",))], \
            [s.render() for s in summaries]
    finally:
        await reloader.stop()
    assert not reloader.running


async def test_watcher_survives_a_failing_reload(knowledge: Path) -> None:
    engine = Engine.from_folder(knowledge, SETTINGS)
    calls = {"n": 0}
    real = load_snapshot

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError("simulated")
        return real(*args, **kwargs)

    reloader = Reloader(engine, knowledge, SETTINGS, interval=0.05, debounce=0.0, builder=flaky)
    await reloader.start()
    try:
        (knowledge / "owls.md").write_bytes(doc("Owls", "Owls hunt mice at night."))
        await wait_for(lambda: reloader.reload_count >= 1)
        assert answered_from(engine, "How do owls hunt?") == {"owls"}
    finally:
        await reloader.stop()


async def test_questions_are_answered_from_previous_index_during_rebuild(knowledge: Path) -> None:
    """The rebuild is held open; meanwhile questions are answered at once from the old index."""
    engine = Engine.from_folder(knowledge, SETTINGS)
    release = threading.Event()
    started = threading.Event()
    real = load_snapshot

    def slow_load(*args, **kwargs):
        started.set()
        snapshot = real(*args, **kwargs)
        assert release.wait(10)
        return snapshot

    reloader = Reloader(engine, knowledge, SETTINGS, builder=slow_load)
    (knowledge / "zebras.md").unlink()
    (knowledge / "owls.md").write_bytes(doc("Owls", "Owls hunt mice at night with silent wings."))
    task = asyncio.create_task(reloader.reload_now())
    await wait_for(started.is_set)
    latencies = []
    for _ in range(20):  # questions keep arriving; the loop stays free and answers come from the old index
        t0 = time.perf_counter()
        answer = await asyncio.to_thread(engine.ask, "What do zebras eat?")
        latencies.append(time.perf_counter() - t0)
        assert {p.citation.doc_id for p in answer.passages} == {"zebras"}
        assert "owls" not in answered_from(engine, "How do owls hunt?")
    assert not task.done()
    release.set()
    summary = await task
    assert summary.added == ("owls",) and summary.removed == ("zebras",)
    assert answered_from(engine, "How do owls hunt?") == {"owls"}
    assert max(latencies) < 1.0


async def test_questions_during_real_reloads_never_fail(tmp_path: Path) -> None:
    """Many real rebuilds of a larger folder while a stream of questions is answered."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    filler = " ".join(f"word{i}" for i in range(300))
    for i in range(60):
        (knowledge / f"doc{i}.md").write_bytes(doc(f"Doc {i}", f"Topic{i} facts. {filler}", filler))
    (knowledge / "zebras.md").write_bytes(ZEBRAS)
    engine = Engine.from_folder(knowledge, SETTINGS)
    reloader = Reloader(engine, knowledge, SETTINGS)
    stop = asyncio.Event()
    answers = 0

    async def ask_forever() -> None:
        nonlocal answers
        while not stop.is_set():
            answer = await asyncio.to_thread(engine.ask, "What do zebras eat?")
            assert answer.answered and answer.passages[0].citation.doc_id == "zebras"
            answers += 1

    askers = [asyncio.create_task(ask_forever()) for _ in range(4)]
    for i in range(5):
        (knowledge / f"doc{i}.md").write_bytes(doc(f"Doc {i}", f"Changed {i}. {filler}"))
        summary = await reloader.reload_now()
        assert summary.changed == (f"doc{i}",)
    stop.set()
    await asyncio.gather(*askers)
    assert answers > 0
    print(f"{answers} questions answered during 5 reloads of {summary.documents} documents "
          f"({summary.chunks} chunks, last build {summary.build_seconds:.3f} s)")


async def test_reload_with_store_audits_and_archives_disk_edits(knowledge: Path, tmp_path: Path) -> None:
    records = Records.open(tmp_path / "data" / "records.db")
    store = KnowledgeStore(knowledge, tmp_path / "data" / "history", records)
    engine = Engine.from_folder(knowledge, SETTINGS)
    reloader = Reloader(engine, knowledge, SETTINGS, store=store, interval=10)
    await reloader.start()  # records the state found at start, in the background
    try:
        await wait_for(lambda: len(records.audit_log()) == 2)
        assert {e.document: e.action for e in records.audit_log()} == {
            "zebras.md": "add on disk", "penguins.md": "add on disk"}
        (knowledge / "zebras.md").write_bytes(ZEBRAS_V2)
        summary = await reloader.reload_now()
        assert [(c.action, c.filename) for c in summary.disk_changes] == [("edit on disk", "zebras.md")]
        assert len(store.versions("zebras")) == 2
        store.restore("zebras", None, user_id=5)  # the hand edit can be undone from history
        summary = await reloader.reload_now()
        assert summary.disk_changes == () and summary.changed == ("zebras",)
        assert "savanna" in engine.ask("What do zebras eat?").passages[0].quote
    finally:
        await reloader.stop()


def test_fingerprint_ignores_hidden_and_foreign_files(knowledge: Path) -> None:
    before = folder_fingerprint(knowledge)
    (knowledge / ".kbtmp-x.tmp").write_bytes(b"x")
    (knowledge / "notes.pdf").write_bytes(b"x")
    (knowledge / "_draft.md").write_bytes(b"x")
    assert folder_fingerprint(knowledge) == before
    (knowledge / "aliases.yaml").write_bytes(b"aliases: []\n")
    assert set(folder_fingerprint(knowledge)) == {"zebras.md", "penguins.md", "aliases.yaml"}


def test_fingerprint_of_a_missing_folder_is_an_error_not_an_empty_folder(knowledge: Path) -> None:
    with pytest.raises(FolderMissing, match="missing/ does not exist or is not a folder"):
        folder_fingerprint(knowledge.parent / "missing")
    with pytest.raises(FolderMissing, match="not a folder"):
        folder_fingerprint(knowledge / "zebras.md")
    (knowledge.parent / "empty").mkdir()
    assert folder_fingerprint(knowledge.parent / "empty") == {}


@pytest.fixture
def watched(knowledge: Path, tmp_path: Path) -> tuple[Records, KnowledgeStore, Engine, list[ReloadSummary]]:
    records = Records.open(tmp_path / "data" / "records.db")
    store = KnowledgeStore(knowledge, tmp_path / "data" / "history", records)
    return records, store, Engine.from_folder(knowledge, SETTINGS), []


@pytest.mark.parametrize("vanish", ["renamed", "file in its place"])
async def test_a_vanished_folder_is_an_error_and_the_old_snapshot_keeps_answering(
    knowledge: Path, watched, vanish: str
) -> None:
    records, store, engine, summaries = watched

    async def listener(summary: ReloadSummary) -> None:
        summaries.append(summary)

    reloader = Reloader(engine, knowledge, SETTINGS, store=store, listener=listener, interval=10)
    await reloader.start()
    try:
        await wait_for(lambda: len(records.audit_log()) == 2)  # the files found at start
        away = knowledge.with_name("knowledge.away")
        knowledge.rename(away)
        if vanish == "file in its place":
            knowledge.write_bytes(b"not a folder")
        before = engine.snapshot
        summary = await reloader.reload_now("test")
        assert summary.folder_missing is not None and not summary.changed_anything
        assert summary.removed == () and summary.documents == 2
        text = summary.render()
        assert "knowledge/" in text and "keeps serving the 2 document(s)" in text
        assert summaries == [summary]
        assert engine.snapshot is before and reloader.reload_count == 0
        assert answered_from(engine, "What do zebras eat?") == {"zebras"}
        assert [e.action for e in records.audit_log()] == ["add on disk", "add on disk"]
        with pytest.raises(StoreError, match="missing"):
            store.sync(["zebras.md", "penguins.md"])
        # back, with an edit: reloaded normally
        if knowledge.is_file():
            knowledge.unlink()
        away.rename(knowledge)
        (knowledge / "zebras.md").write_bytes(ZEBRAS_V2)
        back = await reloader.reload_now("test")
        assert back.folder_missing is None and back.changed == ("zebras",) and back.removed == ()
        assert [c.action for c in back.disk_changes] == ["edit on disk"]
        assert "standing" in engine.ask("Do zebras sleep standing?").passages[0].quote
    finally:
        await reloader.stop()


async def test_the_watcher_reports_a_vanished_folder_once_and_reloads_when_it_is_back(
    knowledge: Path, watched
) -> None:
    records, store, engine, summaries = watched

    async def listener(summary: ReloadSummary) -> None:
        summaries.append(summary)

    reloader = Reloader(engine, knowledge, SETTINGS, store=store, listener=listener,
                        interval=0.02, debounce=0.0)
    await reloader.start()
    try:
        await wait_for(lambda: len(records.audit_log()) == 2)
        away = knowledge.with_name("knowledge.away")
        knowledge.rename(away)
        await wait_for(lambda: len(summaries) >= 1)
        assert summaries[0].folder_missing is not None
        (away / "owls.md").write_bytes(doc("Owls", "Owls hunt mice at night with silent wings."))
        away.rename(knowledge)  # the sentinel: the next summary is the reload after the outage
        await wait_for(lambda: len(summaries) >= 2)
        assert len(summaries) == 2, [s.render() for s in summaries]  # the outage was reported once
        assert summaries[1].added == ("owls",) and summaries[1].removed == ()
        assert "delete on disk" not in {e.action for e in records.audit_log()}
        assert answered_from(engine, "What do zebras eat?") == {"zebras"}
    finally:
        await reloader.stop()


async def test_an_empty_folder_that_exists_is_a_real_removal(knowledge: Path, watched) -> None:
    records, store, engine, _ = watched
    reloader = Reloader(engine, knowledge, SETTINGS, store=store, interval=10)
    await reloader.start()
    try:
        await wait_for(lambda: len(records.audit_log()) == 2)
        for path in list(knowledge.iterdir()):
            path.unlink()
        summary = await reloader.reload_now("test")
        assert summary.folder_missing is None and summary.removed == ("penguins", "zebras")
        assert sorted(c.action for c in summary.disk_changes) == ["delete on disk", "delete on disk"]
    finally:
        await reloader.stop()
