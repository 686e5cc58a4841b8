"""Download a ``/kb upload`` attachment: only from Discord's own hosts, and never more than the limit.

Why not ``discord.Attachment.read()``: it reads the whole body before the bot can look at it, and
the size in the attachment payload is only what the client declared, so a body declared as 100
bytes but really 60 MiB would be read whole before being refused. Here the body is streamed and
reading stops at ``max_bytes + 1`` bytes, and a URL whose origin (scheme, host, port) is not
Discord's file server is refused before any request is made. Redirects are not followed: one
could lead anywhere.

Which origins: ``https`` on Discord's attachment hosts, plus the origin of the API base URL the
bot talks to (``discord.http.Route.BASE``: discord.com in production, the local stand-in in the
tests), passed in by the cog rather than detected here.
"""

from __future__ import annotations

import aiohttp
import yarl

from bot.moderation.uploads import UploadRejected

DISCORD_FILE_HOSTS = ("cdn.discordapp.com", "media.discordapp.net")
CHUNK_BYTES = 64 * 1024
TIMEOUT_SECONDS = 60.0

Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """``(scheme, host, port)`` of ``url``, lower-cased, the port made explicit; None if unusable."""
    try:
        parsed = yarl.URL(url)
    except (TypeError, ValueError):
        return None
    if not parsed.scheme or not parsed.host or parsed.port is None:
        return None
    return parsed.scheme.lower(), parsed.host.lower().rstrip("."), parsed.port


class AttachmentFetcher:
    """Fetches attachment bytes from ``allowed`` origins only, at most ``limit`` bytes of them."""

    def __init__(self, api_base: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        files = {("https", host, 443) for host in DISCORD_FILE_HOSTS}
        api = origin(api_base)
        self.allowed: frozenset[Origin] = frozenset(files | ({api} if api else set()))
        self.timeout = timeout

    async def fetch(self, url: str, filename: str, limit: int, declared: int | None = None) -> bytes:
        """The attachment's bytes; :class:`UploadRejected` (a reason for the moderator) otherwise."""
        where = origin(url)
        if where not in self.allowed:
            host = where[1] if where else "an unusable address"
            raise UploadRejected(
                f"'{filename}' is not on Discord's file server (it points to {host}); "
                f"attach the file itself to the command."
            )
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session,
                session.get(url, allow_redirects=False) as response,
            ):
                if response.status != 200:
                    raise UploadRejected(
                        f"Discord did not hand out '{filename}' (HTTP {response.status}); upload it again."
                    )
                if response.content_length is not None and response.content_length > limit:
                    raise _too_large(filename, limit, declared)
                return await _read_at_most(response.content, filename, limit, declared)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UploadRejected(
                f"'{filename}' could not be downloaded from Discord ({type(exc).__name__}); upload it again."
            ) from None


async def _read_at_most(
    stream: aiohttp.StreamReader, filename: str, limit: int, declared: int | None
) -> bytes:
    """Read the body, stopping (and refusing) as soon as it is longer than ``limit`` bytes."""
    data = bytearray()
    while True:
        chunk = await stream.read(min(CHUNK_BYTES, limit + 1 - len(data)))
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > limit:
            raise _too_large(filename, limit, declared)


def _too_large(filename: str, limit: int, declared: int | None) -> UploadRejected:
    said = f" (Discord said {declared:,} bytes)" if declared is not None else ""
    return UploadRejected(
        f"'{filename}' is larger than {limit:,} bytes{said}; the limit is {limit:,} bytes "
        f"(moderation.max_upload_bytes)."
    )
