"""A stand-in for Discord on 127.0.0.1: enough REST API and gateway for the real discord.py.

Why: the bot must be tested end to end (the real ``discord.py`` client, its HTTP layer, its
gateway parser, its view store) without reaching the internet and without mocking the library.
This module plays Discord's side and records every request the bot sends, so tests can assert on
exact payloads: callback type and flags, embeds, components, ``allowed_mentions``.

What it plays:

* REST: ``GET /users/@me`` (checks the token), ``GET /oauth2/applications/@me``, global and guild
  command registration (``GET``/``PUT``), interaction callbacks (answered with an
  interaction-callback object, as Discord does for ``?with_response=1``; a second callback for the
  same interaction is refused with 40060 like Discord), follow-up webhooks, ``@original`` edits,
  channel messages, typing, and attachment downloads (``add_attachment``).
* Gateway websocket: HELLO, heartbeat ACK, READY and GUILD_CREATE after IDENTIFY, then whatever the
  test pushes with :meth:`DiscordStandIn.dispatch` as JSON text frames.

Two details that matter to discord.py: it parses a body as JSON only when ``Content-Type`` is
exactly ``application/json`` (aiohttp's ``json_response`` appends a charset), and it expects the
interaction-callback object, not an empty 204, from a callback.

Use :func:`pointed_at` (or the ``standin`` fixture in ``tests/conftest.py``) to point discord.py at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yarl
from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
EPHEMERAL = 64
BOT_PERMISSIONS = str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31))  # view, send, links, history

# Interaction callback types (Discord API)
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL = (
    1,
    4,
    5,
    6,
    7,
    9,
)


@dataclass
class RecordedRequest:
    """One HTTP request the bot sent, with its JSON body (``payload_json`` for multipart) and the
    files it attached (multipart parts other than the JSON, as (file name, bytes))."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    at: float  # time.monotonic()
    headers: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)

    def __repr__(self) -> str:  # short: test failure output lists many of these
        body = json.dumps(self.json, ensure_ascii=False)[:300] if self.json is not None else ""
        return f"<{self.method} {self.path} {body}>"


def _json(data: Any, status: int = 200) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json`` (no charset)."""
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _error(status: int, message: str, code: int = 0) -> web.Response:
    return _json({"message": message, "code": code}, status)


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


class DiscordStandIn:
    """The fake Discord. ``await start()``, point discord.py at it, ``await stop()``."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        application_id: int = 900_000_000_000_000_001,
        guild_id: int = 800_000_000_000_000_001,
        channel_id: int = 700_000_000_000_000_001,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = application_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.requests: list[RecordedRequest] = []
        self.guild_roles: list[int] = []  # the guild's roles besides @everyone (sent in GUILD_CREATE)
        self.identify_payloads: list[dict[str, Any]] = []
        self.messages: dict[int, dict[str, Any]] = {}  # every message the bot created, by id
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # registered commands; None = global
        self.event_sent_at: dict[int, float] = {}  # interaction id -> when it was dispatched
        self.callback_at: dict[int, float] = {}  # interaction id -> when its first callback arrived
        self._responded: set[int] = set()
        self._askers: dict[str, dict[str, Any]] = {}  # interaction id or token -> the user who asked
        # interaction token -> the message its response created, or a button's message: what an
        # update (callback type 7) or an edit of @original changes in place, keeping its id, as Discord does
        self._originals: dict[str, int] = {}
        self._attachments: dict[str, tuple[bytes, str, int | None]] = {}  # key -> data, type, streamed size
        self.attachment_requests: list[str] = []  # keys of the attachments the bot asked for, in order
        self.attachment_bytes_sent: dict[str, int] = {}  # key -> body bytes written to the bot
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = 0
        self._ids = itertools.count(1_000_000_000_000_000_000)
        self._changed = asyncio.Condition()
        self._identified = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> DiscordStandIn:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{key}/{filename}", self._attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def new_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------------ inspection
    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        where: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        """Recorded requests matching method, a path regex (full match) and a predicate."""
        out = []
        for r in self.requests:
            if method is not None and r.method != method:
                continue
            if path is not None and not re.fullmatch(path, r.path):
                continue
            if where is not None and not where(r):
                continue
            out.append(r)
        return out

    async def wait_for(
        self,
        method: str | None = None,
        path: str | None = None,
        where: Callable[[RecordedRequest], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[RecordedRequest]:
        """Wait until at least ``count`` matching requests arrived; returns them all."""

        async def enough() -> list[RecordedRequest]:
            async with self._changed:
                while len(found := self.find(method, path, where)) < count:
                    await self._changed.wait()
                return found

        try:
            return await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out waiting for {count} x {method} {path}; got: {self.requests[-15:]}"
            ) from None

    def callbacks(self, interaction_id: int) -> list[RecordedRequest]:
        return self.find("POST", rf"/interactions/{interaction_id}/[^/]+/callback")

    async def wait_callback(self, interaction_id: int, timeout: float = 5.0) -> RecordedRequest:
        (first, *_) = await self.wait_for(
            "POST", rf"/interactions/{interaction_id}/[^/]+/callback", timeout=timeout
        )
        return first

    def response_message(self, token: str) -> dict[str, Any]:
        """The message the first response to an interaction created (by its token)."""
        return self.messages[self._originals[token]]

    def followups(self, token: str) -> list[RecordedRequest]:
        return self.find(None, rf"/webhooks/{self.application_id}/{re.escape(token)}(/.*)?")

    async def wait_followup(self, token: str, timeout: float = 5.0) -> RecordedRequest:
        path = rf"/webhooks/{self.application_id}/{re.escape(token)}(/.*)?"
        (first, *_) = await self.wait_for(
            None, path, lambda r: r.method in ("POST", "PATCH"), timeout=timeout
        )
        return first

    async def wait_identified(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._identified.wait(), timeout)

    # ------------------------------------------------------------------ test input
    def add_attachment(
        self,
        filename: str,
        data: bytes,
        content_type: str = "text/markdown",
        *,
        stream_size: int | None = None,
    ) -> dict[str, Any]:
        """Serve ``data`` as a Discord attachment; returns the attachment payload for a message/option.

        With ``stream_size`` the body is ``data`` repeated up to that many bytes, sent chunked (no
        Content-Length) as fast as the bot reads it; ``attachment_bytes_sent`` counts what was written.
        """
        key = str(self.new_id())
        self._attachments[key] = (data, content_type, stream_size)
        url = f"{self.base_url}/attachments/{key}/{filename}"
        return {
            "id": key,
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH event (op 0) to every connected bot."""
        self._seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": self._seq, "d": data})
        if event == "INTERACTION_CREATE":
            self.event_sent_at[int(data["id"])] = time.monotonic()
        if not self._sockets:
            raise AssertionError("no bot is connected to the stand-in gateway")
        for ws in list(self._sockets):
            await ws.send_str(frame)

    def user(self, user_id: int = 500_000_000_000_000_001, name: str = "asker") -> dict[str, Any]:
        return user_payload(user_id, name)

    def member(
        self, user: dict[str, Any], permissions: str = "0", roles: list[str] | None = None
    ) -> dict[str, Any]:
        return {
            "user": user,
            "roles": roles or [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": permissions,
            "nick": None,
            "avatar": None,
        }

    def _interaction_base(
        self,
        kind: int,
        *,
        user: dict[str, Any] | None,
        dm: bool,
        member_permissions: str = "0",
        roles: list[str] | None = None,
    ) -> dict[str, Any]:
        user = user or self.user()
        iid = self.new_id()
        self._askers[str(iid)] = self._askers[f"itoken-{iid}"] = user
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"itoken-{iid}",
            "version": 1,
            "locale": "en-US",
            "app_permissions": BOT_PERMISSIONS,
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {},
        }
        if dm:
            channel_id = self.new_id()
            payload.update(
                channel_id=str(channel_id),
                user=user,
                context=1,
                channel={"id": str(channel_id), "type": 1, "recipients": [user]},
            )
        else:
            payload.update(
                guild_id=str(self.guild_id),
                channel_id=str(self.channel_id),
                guild_locale="en-US",
                member=self.member(user, member_permissions, roles),
                context=0,
                channel={
                    "id": str(self.channel_id),
                    "type": 0,
                    "guild_id": str(self.guild_id),
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                },
            )
        return payload

    def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict[str, Any] | None = None,
        dm: bool = False,
        subcommand: str | None = None,
        member_permissions: str = "0",
        roles: list[str] | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a chat-input command ``/name [subcommand] option:value``."""
        types = {str: 3, bool: 5, int: 4, float: 10}
        opts = [
            {
                "name": k,
                "type": types.get(type(v), 3) if not isinstance(v, tuple) else v[0],
                "value": v if not isinstance(v, tuple) else v[1],
            }
            for k, v in (options or {}).items()
        ]
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        payload = self._interaction_base(
            2, user=user, dm=dm, member_permissions=member_permissions, roles=roles
        )
        payload["data"] = {"id": str(self._command_id(name)), "name": name, "type": 1, "options": opts}
        if resolved:
            payload["data"]["resolved"] = resolved
        return payload

    def message_command(
        self, name: str, target: dict[str, Any], *, user: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a message context-menu command on ``target`` (a message)."""
        payload = self._interaction_base(2, user=user, dm=False)
        payload["data"] = {
            "id": str(self._command_id(name)),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        return payload

    def component(
        self, message: dict[str, Any], custom_id: str, *, user: dict[str, Any] | None = None, dm: bool = False
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for a button press on ``message`` (as the bot created it)."""
        payload = self._interaction_base(3, user=user, dm=dm)
        payload["message"] = message
        self._originals[payload["token"]] = int(message["id"])
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return payload

    def message(
        self,
        content: str,
        *,
        author: dict[str, Any] | None = None,
        dm: bool = False,
        mentions: list[dict[str, Any]] | None = None,
        channel_id: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload: a user's message in the guild channel or in a DM."""
        author = author or self.user()
        mid = self.new_id()
        payload: dict[str, Any] = {
            "id": str(mid),
            "content": content,
            "author": author,
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content,
            "mentions": mentions or [],
            "mention_roles": [],
            "attachments": attachments or [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if dm:
            payload["channel_id"] = str(channel_id or self.new_id())
        else:
            payload.update(
                channel_id=str(channel_id or self.channel_id),
                guild_id=str(self.guild_id),
                member={k: v for k, v in self.member(author).items() if k != "user"},
            )
        return payload

    def bot_user(self) -> dict[str, Any]:
        return user_payload(self.bot_user_id, "KnowledgeBot", bot=True)

    def _command_id(self, name: str) -> int:
        for cmds in self.commands.values():
            for c in cmds:
                if c["name"] == name:
                    return int(c["id"])
        return self.new_id()

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_str(
                json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    self.identify_payloads.append(frame["d"])
                    await self._send_ready(ws)
        finally:
            self._sockets.remove(ws)
        return ws

    async def _send_ready(self, ws: web.WebSocketResponse) -> None:
        def frame(event: str, data: dict[str, Any]) -> str:
            self._seq += 1
            return json.dumps({"op": 0, "t": event, "s": self._seq, "d": data})

        ready = {
            "v": 10,
            "user": self.bot_user(),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": "standin-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await ws.send_str(frame("READY", ready))
        await ws.send_str(frame("GUILD_CREATE", self._guild()))
        self._identified.set()

    def _guild(self) -> dict[str, Any]:
        gid = str(self.guild_id)
        return {
            "id": gid,
            "name": "Stand-in Guild",
            "icon": None,
            "owner_id": "1",
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "mfa_level": 0,
            "verification_level": 0,
            "roles": [
                {
                    "id": gid,
                    "name": "@everyone",
                    "permissions": BOT_PERMISSIONS,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                *(
                    {"id": str(rid), "name": f"role {rid}", "permissions": "0", "position": 1 + i,
                     "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
                    for i, rid in enumerate(self.guild_roles)
                ),
            ],
            "channels": [
                {
                    "id": str(self.channel_id),
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "guild_id": gid,
                }
            ],
            "members": [self.member(self.bot_user())],
        }

    # ------------------------------------------------------------------ REST
    async def _attachment(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        self.attachment_requests.append(key)
        found = self._attachments.get(key)
        if found is None:
            return web.Response(status=404)
        data, content_type, stream_size = found
        if stream_size is None:
            self.attachment_bytes_sent[key] = len(data)
            return web.Response(body=data, headers={"Content-Type": content_type})
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent = self.attachment_bytes_sent[key] = 0
        with contextlib.suppress(ConnectionError):  # the bot hung up: what matters is how much it got
            while sent < stream_size:
                part = data[: stream_size - sent]
                await response.write(part)
                sent = self.attachment_bytes_sent[key] = sent + len(part)
            await response.write_eof()
        return response

    async def _record(self, request: web.Request, path: str) -> RecordedRequest:
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if request.can_read_body:
            if request.content_type.startswith("multipart/"):
                reader = await request.multipart()
                async for part in reader:
                    if getattr(part, "name", None) == "payload_json":
                        body = json.loads(await part.text())  # type: ignore[union-attr]
                    else:
                        files.append((part.filename or "", await part.read()))  # type: ignore[union-attr]
            else:
                raw = await request.read()
                body = json.loads(raw) if raw else None
        rec = RecordedRequest(
            request.method,
            path,
            dict(request.query),
            body,
            time.monotonic(),
            {k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            files,
        )
        async with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()
        return rec

    def _message_from(
        self, body: dict[str, Any] | None, channel_id: int | str, interaction_id: int | None = None,
        asked_by: str | None = None,
    ) -> dict[str, Any]:
        """A message the bot created. ``asked_by`` (an interaction id or token) adds, as Discord
        does for responses to an interaction, ``interaction_metadata`` naming who asked."""
        body = body or {}
        mid = self.new_id()
        message = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": self.bot_user(),
            "content": body.get("content") or "",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0 if interaction_id is None else 20,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        asker = self._askers.get(asked_by) if asked_by is not None else None
        if asker is not None:
            message["interaction_metadata"] = {
                "id": str(interaction_id or 0), "type": 2, "user": asker,
                "authorizing_integration_owners": {}}
        self.messages[mid] = message
        return message

    def _edited(
        self, message_id: int | None, body: dict[str, Any] | None, channel_id: int | str
    ) -> dict[str, Any]:
        """Edit a message the bot created in place (same id, same asker), as Discord does; a message
        the stand-in does not know becomes a new one."""
        message = self.messages.get(message_id) if message_id is not None else None
        if message is None:
            return self._message_from(body, channel_id)
        body = body or {}
        for key in ("content", "embeds", "components"):
            if key in body:
                message[key] = body[key] or ("" if key == "content" else [])
        message["edited_timestamp"] = "2024-01-01T00:00:01+00:00"
        return message

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        rec = await self._record(request, path)
        auth = request.headers.get("Authorization")
        if path == "/users/@me" and request.method == "GET":
            if auth != f"Bot {self.token}":
                return _error(401, "401: Unauthorized")
            return _json(self.bot_user())
        if path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": str(self.application_id),
                    "name": "KnowledgeBot",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "verify_key": "00",
                    "owner": user_payload(1, "owner"),
                    "flags": 0,
                    "summary": "",
                    "team": None,
                }
            )
        m = re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", path)
        if m:
            scope = int(m.group(2)) if m.group(2) else None
            if request.method == "PUT":
                stored = [
                    {
                        "description": "",
                        "options": [],
                        "default_member_permissions": None,
                        "nsfw": False,
                        **c,
                        "id": str(self.new_id()),
                        "application_id": str(self.application_id),
                        "version": "1",
                        **({"guild_id": str(scope)} if scope else {}),
                    }
                    for c in rec.json
                ]
                self.commands[scope] = stored
            return _json(self.commands.get(scope, []))
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m:
            return self._callback(int(m.group(1)), m.group(2), rec)
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", path)
        if m:
            if request.method == "DELETE":
                return web.Response(status=204)
            if m.group(3) == "@original" and request.method == "PATCH":
                return _json(self._edited(self._originals.get(m.group(2)), rec.json, self.channel_id))
            if m.group(3) and request.method == "PATCH":
                return _json(self._edited(int(m.group(3)), rec.json, self.channel_id))
            if m.group(3):
                return _json(self._message_from(None, self.channel_id, 0, m.group(2)))
            return _json(self._message_from(rec.json, self.channel_id, 0, m.group(2)))
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and request.method == "POST":
            return _json(self._message_from(rec.json, m.group(1)))
        if re.fullmatch(r"/channels/(\d+)/typing", path):
            return web.Response(status=204)
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)
        if m and request.method == "DELETE":
            return web.Response(status=204)
        if m and request.method == "PATCH":
            return _json(self._edited(int(m.group(2)), rec.json, m.group(1)))
        if path == "/users/@me/channels" and request.method == "POST":
            return _json(
                {"id": str(self.new_id()), "type": 1, "recipients": [self.user()], "last_message_id": None}
            )
        return _error(404, f"404: stand-in has no route for {request.method} {path}", 10000)

    def _callback(self, interaction_id: int, token: str, rec: RecordedRequest) -> web.Response:
        if interaction_id in self._responded:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        self._responded.add(interaction_id)
        self.callback_at[interaction_id] = rec.at
        body = rec.json or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        interaction: dict[str, Any] = {"id": str(interaction_id), "type": 2}
        resource: dict[str, Any] = {"type": kind}
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            if kind == UPDATE_MESSAGE:  # the button's message, changed in place: same id, same asker
                message = self._edited(self._originals.get(token), data, self.channel_id)
            else:
                message = self._message_from(data, self.channel_id, interaction_id, str(interaction_id))
                self._originals[token] = int(message["id"])
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == DEFERRED_CHANNEL_MESSAGE,
                response_message_ephemeral=bool(int(data.get("flags") or 0) & EPHEMERAL),
            )
            resource["message"] = message
        return _json({"interaction": interaction, "resource": resource})


@contextlib.contextmanager
def pointed_at(standin: DiscordStandIn) -> Iterator[None]:
    """Point discord.py's REST base and gateway at ``standin``; restore both afterwards."""
    import discord.gateway
    import discord.http

    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = standin.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(standin.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
