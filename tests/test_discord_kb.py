"""End to end: the /kb moderator commands through the real discord.py bot and the Discord stand-in."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tests.discord_standin import CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, EPHEMERAL, DiscordStandIn
from tests.moderation_helpers import ZEBRAS

MANAGE_GUILD = str(1 << 5)
MOD_ROLE = 424_242_424_242_424_242
MODERATOR = {"user_id": 500_000_000_000_000_777, "name": "mod"}


def with_moderation(settings: Any, **changes: Any) -> Any:
    moderation = msgspec.structs.replace(settings.moderation, **changes)
    return msgspec.structs.replace(settings, moderation=moderation)


@pytest.fixture
def kb_settings(settings: Any, standin: DiscordStandIn) -> Any:
    return with_moderation(
        settings,
        log_channel_id=standin.channel_id,
        max_upload_bytes=4000,
        moderator_role_ids=[MOD_ROLE],
        watch_interval_seconds=0.2,
        reload_debounce_seconds=0.2,
    )


def moderator(standin: DiscordStandIn) -> dict[str, Any]:
    return standin.user(MODERATOR["user_id"], MODERATOR["name"])


async def kb(
    standin: DiscordStandIn,
    sub: str,
    options: dict[str, Any] | None = None,
    *,
    permissions: str = MANAGE_GUILD,
    roles: list[str] | None = None,
    user: dict[str, Any] | None = None,
    resolved: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], str]:
    """Run ``/kb sub`` and return (the first callback's body, the text the user finally sees)."""
    event = standin.slash(
        "kb",
        options,
        subcommand=sub,
        member_permissions=permissions,
        roles=roles,
        user=user or moderator(standin),
        resolved=resolved,
    )
    await standin.dispatch("INTERACTION_CREATE", event)
    callback = await standin.wait_callback(int(event["id"]))
    body = callback.json
    assert body["data"]["flags"] & EPHEMERAL if body["type"] == CHANNEL_MESSAGE else True
    if body["type"] == DEFERRED_CHANNEL_MESSAGE:
        assert body["data"]["flags"] & EPHEMERAL, "a /kb deferral must be private"
        followup = await standin.wait_followup(event["token"], timeout=10)
        assert followup.json["flags"] & EPHEMERAL
        assert followup.json["allowed_mentions"] == {"parse": []}
        return body, followup.json.get("content") or ""
    assert body["data"]["allowed_mentions"] == {"parse": []}
    return body, body["data"].get("content") or ""


async def upload(
    standin: DiscordStandIn, filename: str, data: bytes, **kwargs: Any
) -> tuple[dict[str, Any], str]:
    att = standin.add_attachment(filename, data)
    att.update(kwargs.pop("attachment", {}))
    return await kb(
        standin, "upload", {"file": (11, att["id"])}, resolved={"attachments": {att["id"]: att}}, **kwargs
    )


async def ask(standin: DiscordStandIn, question: str) -> dict[str, Any]:
    event = standin.slash("ask", {"question": question})
    await standin.dispatch("INTERACTION_CREATE", event)
    callback = await standin.wait_callback(int(event["id"]))
    if callback.json["type"] == DEFERRED_CHANNEL_MESSAGE:
        return (await standin.wait_followup(event["token"])).json
    return callback.json["data"]


def embed_text(data: dict[str, Any]) -> str:
    return "\n".join(e.get("description") or "" for e in data.get("embeds") or [])


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


async def test_moderator_upload_writes_reloads_answers_and_logs(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    bot = await start_bot(settings=kb_settings)
    body, text = await upload(standin, "zebras.md", ZEBRAS)
    assert body["type"] == DEFERRED_CHANNEL_MESSAGE
    assert "Added `zebras.md`" in text and "Added: zebras (1 chunks)" in text
    assert (knowledge_dir / "zebras.md").read_bytes() == ZEBRAS
    answer = await ask(standin, "What do zebras eat on the savanna?")
    assert "savanna" in embed_text(answer)
    log_posts = await standin.wait_for(
        "POST",
        rf"/channels/{standin.channel_id}/messages",
        lambda r: "upload of zebras.md" in (r.json or {}).get("content", ""),
    )
    assert log_posts[0].json["allowed_mentions"] == {"parse": []}
    (entry,) = bot.records.audit_log("zebras.md")
    assert (entry.user_id, entry.action) == (MODERATOR["user_id"], "upload")
    # replacing keeps the old version and says how to undo
    _, text = await upload(standin, "zebras.md", ZEBRAS.replace(b"savanna", b"plains"))
    assert "Replaced `zebras.md`" in text and "kept in history" in text and "Changed: zebras" in text


async def test_role_moderator_is_allowed(standin, start_bot, kb_settings, knowledge_dir: Path) -> None:
    standin.guild_roles.append(MOD_ROLE)
    await start_bot(settings=kb_settings)
    _, text = await upload(standin, "zebras.md", ZEBRAS, permissions="0", roles=[str(MOD_ROLE)])
    assert "Added `zebras.md`" in text


@pytest.mark.parametrize(
    "sub,options",
    [
        ("reload", {}),
        ("list", {}),
        ("gaps", {}),
        ("history", {}),
        ("test", {"question": "tomatoes"}),
        ("remove", {"document": "garden.md"}),
        ("restore", {"document": "garden.md"}),
        ("download", {"document": "garden.md"}),
        ("forget", {"user": (6, "31")}),
    ],
)
async def test_non_moderators_are_refused_every_command(
    standin, start_bot, kb_settings, knowledge_dir: Path, sub: str, options: dict[str, Any]
) -> None:
    bot = await start_bot(settings=kb_settings)
    before = files_in(knowledge_dir)
    body, text = await kb(
        standin, sub, options, permissions="0", roles=["1"], user=standin.user(31, "random")
    )
    assert body["type"] == CHANNEL_MESSAGE and body["data"]["flags"] & EPHEMERAL
    assert "Only moderators" in text
    assert files_in(knowledge_dir) == before
    assert [e for e in bot.records.audit_log() if e.user_id == 31] == []


async def test_non_moderator_upload_is_refused_and_nothing_is_written(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    bot = await start_bot(settings=kb_settings)
    before = files_in(knowledge_dir)
    body, text = await upload(standin, "zebras.md", ZEBRAS, permissions="0", user=standin.user(32, "random"))
    assert body["type"] == CHANNEL_MESSAGE and "Only moderators" in text
    # Sentinel: a moderator's upload after it, answered only once written and reloaded; a
    # (wrong) write of the refused file would have happened by then.
    _, text = await upload(standin, "sentinel.md", ZEBRAS)
    assert "Added `sentinel.md`" in text
    assert files_in(knowledge_dir) == before | {"sentinel.md": ZEBRAS}
    assert not (Path(kb_settings.data_dir) / "history" / "zebras.md").exists()
    assert [e for e in bot.records.audit_log() if e.user_id == 32 or e.document == "zebras.md"] == []


@pytest.mark.parametrize(
    "filename,reason",
    [
        ("../zebras.md", "path separator"),
        ("..%2Fzebras.md", "contains '..'"),
        ("zebras%00.md", "only letters"),
        ("tab\tzebras.md", "control or invisible"),
        (".hidden.md", "hide"),
        ("CON.md", "reserved device name"),
        ("aliases.md", "reserved for 'aliases.yaml'"),
        ("notes.yaml", "only .yaml"),
        ("run.py", "extension '.py'"),
        ("a" * 150 + ".md", "limit is 100"),
    ],
)
async def test_hostile_file_names_are_refused(
    standin, start_bot, kb_settings, knowledge_dir: Path, filename: str, reason: str
) -> None:
    await start_bot(settings=kb_settings)
    before = files_in(knowledge_dir)
    _, text = await upload(standin, filename, ZEBRAS)
    assert "Not uploaded, nothing was changed." in text and reason in text
    assert files_in(knowledge_dir) == before
    assert not (knowledge_dir.parent / "zebras.md").exists()


async def test_oversized_files_are_refused_before_and_after_download(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    await start_bot(settings=kb_settings)
    big = ZEBRAS + b"\nMore grass. " * 400
    body, text = await upload(standin, "zebras.md", big)
    assert body["type"] == CHANNEL_MESSAGE  # refused at once, from the declared size
    assert "the limit is 4,000 bytes" in text
    # a client that under-reports the size: checked again after the download
    _, text = await upload(standin, "zebras.md", big, attachment={"size": 100})
    assert "the limit is 4,000 bytes" in text
    assert not (knowledge_dir / "zebras.md").exists()


async def test_non_utf8_file_is_refused(standin, start_bot, kb_settings, knowledge_dir: Path) -> None:
    await start_bot(settings=kb_settings)
    _, text = await upload(standin, "cafe.md", "---\ntitle: Café\n---\n\nCafé crème.\n".encode("cp1252"))
    assert "not UTF-8 text" in text and "line 2" in text
    assert not (knowledge_dir / "cafe.md").exists()


async def test_malformed_front_matter_clear_reply_and_previous_answers_still_served(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    await start_bot(settings=kb_settings)
    original = (knowledge_dir / "garden.md").read_bytes()
    broken = original.replace(b'title: "Growing tomatoes"', b"title: [Growing tomatoes")
    _, text = await upload(standin, "garden.md", broken)
    assert "Not uploaded" in text
    assert re.search(r"• garden\.md:\d+: front matter is not valid YAML", text)
    assert (knowledge_dir / "garden.md").read_bytes() == original
    assert "Water tomatoes" in embed_text(await ask(standin, "How often should I water tomatoes?"))
    # the same broken file written on disk: the reload reports it and keeps the last good version
    (knowledge_dir / "garden.md").write_bytes(broken)
    _, text = await kb(standin, "reload")
    assert re.search(r"• knowledge/garden\.md:\d+: front matter is not valid YAML", text)
    assert "still serving the last good version of garden" in text
    assert "Water tomatoes" in embed_text(await ask(standin, "How often should I water tomatoes?"))


async def test_remove_then_restore(standin, start_bot, kb_settings, knowledge_dir: Path) -> None:
    bot = await start_bot(settings=kb_settings)
    original = (knowledge_dir / "garden.md").read_bytes()
    _, text = await kb(standin, "remove", {"document": "garden.md"})
    assert "Removed `garden.md`" in text and "Removed: garden" in text
    assert not (knowledge_dir / "garden.md").exists()
    assert "Water tomatoes" not in embed_text(await ask(standin, "How often should I water tomatoes?"))
    _, text = await kb(standin, "history", {"document": "garden"})
    assert "Versions of `garden.md`" in text and "1. " in text and "remove" in text
    _, text = await kb(standin, "restore", {"document": "garden"})
    assert "Restored `garden.md`" in text and "Added: garden" in text
    assert (knowledge_dir / "garden.md").read_bytes() == original
    assert "Water tomatoes" in embed_text(await ask(standin, "How often should I water tomatoes?"))
    actions = [(e.action, e.user_id) for e in bot.records.audit_log("garden.md")]
    assert actions[:2] == [("restore", MODERATOR["user_id"]), ("remove", MODERATOR["user_id"])]


async def test_download_list_test_gaps_and_history(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    bot = await start_bot(settings=kb_settings)
    for _ in range(100):  # the files found at start are audited in the background
        if await asyncio.to_thread(bot.records.audit_log):
            break
        await asyncio.sleep(0.05)
    await kb(standin, "download", {"document": "garden"})
    followups = standin.followups(standin.requests[-1].path.split("/")[3])
    sent = [f for f in followups if f.method == "POST"][-1].json
    assert [a["filename"] for a in sent["attachments"]] == ["garden.md"]
    _, text = await kb(standin, "list")
    assert "`garden.md` — Growing tomatoes · 10 chunks" in text and "add on disk" in text
    _, text = await kb(standin, "test", {"question": "How often should I water tomatoes?"})
    assert "**Outcome:** ANSWERED" in text and "BM25" in text and "matched:" in text and "garden#p1" in text
    assert "Never used by the knowledge base" not in text
    _, text = await kb(standin, "test", {"question": "When are potatoes harvested?"})
    assert "**Outcome:** NO_MATCH" in text and "**Never used by the knowledge base:** `potatoes`" in text
    await asyncio.to_thread(bot.records.record_declined, question="What about potatoes?", user_id=5)
    await asyncio.to_thread(bot.records.record_declined, question="what about potatoes", user_id=6)
    await asyncio.to_thread(
        bot.records.record_feedback, chunk_id="garden#p1", question="water?", helpful=False, user_id=5
    )
    _, text = await kb(standin, "gaps")
    assert "2× (2 people)" in text and "potatoes" in text
    assert "never uses" in text and "`potatoes` — 2×" in text  # a word an alias could join
    assert "1× not helpful" in text and "Growing tomatoes · ¶1" in text
    _, text = await kb(standin, "history")
    assert "Latest changes" in text and "`garden.md` add on disk" in text


async def test_autocomplete_lists_documents_for_moderators_only(standin, start_bot, kb_settings) -> None:
    await start_bot(settings=kb_settings)
    results = {}
    for label, perms in (("mod", MANAGE_GUILD), ("other", "0")):
        event = standin.slash("kb", {"document": "gar"}, subcommand="remove", member_permissions=perms)
        event["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
        event["data"]["options"][0]["options"][0]["focused"] = True
        await standin.dispatch("INTERACTION_CREATE", event)
        callback = await standin.wait_callback(int(event["id"]))
        assert callback.json["type"] == 8
        results[label] = [c["value"] for c in callback.json["data"]["choices"]]
    assert results == {"mod": ["garden.md"], "other": []}


async def test_watcher_picks_up_disk_edits_and_questions_keep_being_answered(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    bot = await start_bot(settings=kb_settings)
    reloads_before = bot.get_cog("Moderation").reloader.reload_count
    (knowledge_dir / "zebras.md").write_bytes(ZEBRAS)
    events = []
    for i in range(30):  # questions keep arriving while the watcher notices and rebuilds
        event = standin.slash(
            "ask", {"question": "How often should I water tomatoes?"}, user=standin.user(600 + i, f"u{i}")
        )
        events.append(event)
        await standin.dispatch("INTERACTION_CREATE", event)
        await asyncio.sleep(0.03)
    for event in events:
        await standin.wait_callback(int(event["id"]), timeout=10)
        iid = int(event["id"])
        assert standin.callback_at[iid] - standin.event_sent_at[iid] < 3.0
    for _ in range(100):
        if bot.get_cog("Moderation").reloader.reload_count > reloads_before:
            break
        await asyncio.sleep(0.05)
    assert "savanna" in embed_text(await ask(standin, "What do zebras eat on the savanna?"))
    post = await standin.wait_for(
        "POST",
        rf"/channels/{standin.channel_id}/messages",
        lambda r: "files changed" in (r.json or {}).get("content", ""),
    )
    assert "Added: zebras" in post[0].json["content"]


async def test_kb_group_is_registered_hidden_from_non_moderators_and_guild_only(
    standin, start_bot, kb_settings
) -> None:
    await start_bot(settings=kb_settings)
    registered = [c for cmds in standin.commands.values() for c in cmds if c["name"] == "kb"]
    assert registered, standin.commands
    kb_command = registered[0]
    assert str(kb_command["default_member_permissions"]) == MANAGE_GUILD
    assert kb_command.get("contexts") == [0] or kb_command.get("dm_permission") is False
    subcommands = {o["name"] for o in kb_command["options"]}
    assert subcommands == {
        "reload",
        "upload",
        "remove",
        "history",
        "restore",
        "download",
        "list",
        "test",
        "gaps",
        "forget",
    }


HOSTILE = "@everyone [x](https://evil.example) <@&123>"
MASKED_LINK = re.compile(r"(?<!\\)\[[^\[\]]*(?<!\\)\]\(")


def assert_neutral(text: str) -> None:
    """Nothing in ``text`` can ping or render as a masked link (the moderator's own <@id> may stay)."""
    assert "@everyone" not in text and "@here" not in text, text
    assert "<@&" not in text, text
    assert not re.search(rf"<@!?(?!{MODERATOR['user_id']}>)\d+>", text), text
    assert not MASKED_LINK.search(text), text


async def test_untrusted_text_in_kb_replies_and_log_posts_is_neutralised(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    await start_bot(settings=kb_settings)
    hostile_key = f'---\ntitle: Zebras\n"{HOSTILE}": 1\n---\n\nZebras eat grass.\n'.encode()
    _, text = await upload(standin, "zebras.md", hostile_key)  # the problem line quotes the YAML key
    assert "Not uploaded" in text and "unknown front matter key" in text and "evil.example" in text
    assert_neutral(text)
    _, text = await upload(standin, "@everyone [x](https:evil.example) <@&123>.md", ZEBRAS)
    assert "Not uploaded" in text and "may use only letters" in text
    assert_neutral(text)
    # the same text reaching the bot from disk: a file name, a title and a broken file's YAML key
    odd_name = "[x](https:evil.example) <@&123> @everyone.md"
    (knowledge_dir / odd_name).write_bytes(ZEBRAS)
    (knowledge_dir / "odd-title.md").write_bytes(f'---\ntitle: "{HOSTILE}"\n---\n\nOwls hoot.\n'.encode())
    (knowledge_dir / "broken.md").write_bytes(hostile_key)
    _, text = await kb(standin, "reload")  # the watcher may have reloaded first: problems are listed anyway
    assert "unknown front matter key" in text and "is not usable as a document id" in text
    assert_neutral(text)
    for sub, options in (("list", {}), ("history", {}), ("history", {"document": odd_name}),
                         ("download", {"document": odd_name}), ("remove", {"document": HOSTILE})):
        _, text = await kb(standin, sub, options)
        assert "evil.example" in text or "no document" in text, (sub, text)
        assert_neutral(text)
    posts = await standin.wait_for(
        "POST",
        rf"/channels/{standin.channel_id}/messages",
        lambda r: "/kb reload" in (r.json or {}).get("content", ""),
    )
    for post in standin.find("POST", rf"/channels/{standin.channel_id}/messages"):
        assert_neutral(post.json["content"])
    assert "unknown front matter key" in posts[0].json["content"]


def test_a_name_with_a_backtick_never_opens_a_code_span() -> None:
    from bot.discord_app import render
    from bot.moderation import reports

    assert reports.code("garden.md", render.safe) == "`garden.md`"
    shown = reports.code("a` [x](https://evil.example) `@everyone.md", render.safe)
    assert "`" not in shown.replace("\\`", "")  # every backtick escaped: no span to break out of
    assert_neutral(shown)


async def test_a_link_out_of_the_knowledge_folder_is_never_sent(
    standin, start_bot, kb_settings, knowledge_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.env"
    secret.write_bytes(b"DISCORD_TOKEN=SECRET-MARKER-4711\n")
    await start_bot(settings=kb_settings)
    (knowledge_dir / "env.md").symlink_to(secret)
    await kb(standin, "reload")  # or the watcher first: either reload's summary goes to the log channel
    await standin.wait_for(
        "POST",
        rf"/channels/{standin.channel_id}/messages",
        lambda r: "knowledge/env.md: env.md points outside knowledge/" in (r.json or {}).get("content", ""),
    )
    _, text = await kb(standin, "download", {"document": "env.md"})
    assert "env.md points outside knowledge/" in text and "not read, archived or served" in text
    _, text = await kb(standin, "restore", {"document": "env.md"})
    assert text.startswith("Nothing restored.")
    # the download of a real document still attaches it: the stand-in records attached files
    await kb(standin, "download", {"document": "garden.md"})
    assert [name for r in standin.requests for name, _ in r.files] == ["garden.md"]
    for r in standin.requests:
        assert "SECRET-MARKER" not in repr(r.json) and all(b"SECRET-MARKER" not in d for _, d in r.files)
    history = Path(kb_settings.data_dir) / "history"
    assert not any(b"SECRET-MARKER" in p.read_bytes() for p in history.rglob("*") if p.is_file())


async def test_a_body_larger_than_declared_is_refused_after_reading_at_most_the_limit(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    await start_bot(settings=kb_settings)
    huge = 60 * 1024 * 1024
    att = standin.add_attachment("zebras.md", ZEBRAS + b"x" * (64 * 1024 - len(ZEBRAS)), stream_size=huge)
    att["size"] = 100  # what the client declared
    resolved = {"attachments": {att["id"]: att}}
    _, text = await kb(standin, "upload", {"file": (11, att["id"])}, resolved=resolved)
    assert "Not uploaded, nothing was changed." in text
    assert "is larger than 4,000 bytes" in text and "Discord said 100 bytes" in text
    assert "the limit is 4,000 bytes" in text
    assert standin.attachment_requests == [att["id"]]
    sent = standin.attachment_bytes_sent[att["id"]]
    # the bot reads at most 4,001 bytes; what else was written sits in the sockets' buffers (a few MB)
    assert sent < huge // 4, f"{sent:,} bytes were sent before the bot hung up"
    assert not (knowledge_dir / "zebras.md").exists()


async def test_an_attachment_on_another_host_is_refused_without_being_fetched(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    from tests.discord_standin import DiscordStandIn

    await start_bot(settings=kb_settings)
    elsewhere = await DiscordStandIn().start()  # same machine, another origin (port)
    try:
        att = elsewhere.add_attachment("zebras.md", ZEBRAS)
        urls = [att["url"], att["url"].replace("http://127.0.0.1", "http://cdn.discordapp.com"),
                "https://evil.example/attachments/1/zebras.md", "file:///etc/passwd"]
        for url in urls:
            payload = dict(att, url=url, proxy_url=url)
            _, text = await kb(
                standin, "upload", {"file": (11, att["id"])}, resolved={"attachments": {att["id"]: payload}}
            )
            assert "Not uploaded, nothing was changed." in text and "is not on Discord's file server" in text
        assert elsewhere.attachment_requests == []  # the refusals came first: nothing was fetched
    finally:
        await elsewhere.stop()
    assert not (knowledge_dir / "zebras.md").exists()
    _, text = await upload(standin, "zebras.md", ZEBRAS)  # from the stand-in's own host: accepted
    assert "Added `zebras.md`" in text


async def test_forget_deletes_a_users_data_and_clears_their_id_in_the_audit_log(
    standin, start_bot, kb_settings, knowledge_dir: Path
) -> None:
    from tests.test_discord_stored_answers import ask as ask_as
    from tests.test_discord_stored_answers import press

    bot = await start_bot(settings=kb_settings)
    asker = standin.user(61, "asker")
    message = await ask_as(standin, "How often should I water tomatoes?", user=asker)
    await press(standin, message, "kb:fb:0:0", user=asker)
    await asyncio.to_thread(bot.records.record_declined, question="What about potatoes?", user_id=61)
    await upload(standin, "zebras.md", ZEBRAS)  # audited as the moderator's change

    def forget(user: dict[str, Any]) -> Any:
        return kb(standin, "forget", {"user": (6, user["id"])}, resolved={"users": {user["id"]: user}},
                  user=standin.user(62, "other mod"))

    _, text = await forget(asker)
    assert text == ("Forgot <@61>: deleted 1 feedback vote(s), 1 declined question(s) and 1 stored "
                    "answer(s). No audit log entry named them. Buttons on answers they asked for now say "
                    "the answer is no longer stored.")
    assert bot.records.top_unhelpful() == [] and bot.records.top_declined() == []
    assert bot.records.stored_answer(int(message["id"])) is None
    audit_before = len(bot.records.audit_log())
    _, text = await forget(moderator(standin))
    assert "removed from 1 audit log entry(ies); the changes are kept" in text
    assert len(bot.records.audit_log()) == audit_before
    assert [e.user_id for e in bot.records.audit_log("zebras.md")] == [None]
    _, text = await kb(standin, "history", {"document": "zebras.md"})
    assert "upload" in text and "by a forgotten user" in text and str(MODERATOR["user_id"]) not in text
