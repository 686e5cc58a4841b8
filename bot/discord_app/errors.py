"""One error handler for slash commands, context menus and buttons.

Why central: whatever fails, the user gets one short private apology (never silence, never a
traceback in the channel), the log gets the full traceback, and an interaction is never answered
twice — Discord refuses a second initial response, so we follow up when one was already sent.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import discord
from discord import app_commands

log = logging.getLogger("bot.discord.errors")

APOLOGY = "Sorry, something went wrong on my side while answering. It has been logged; please try again."
NONE = discord.AllowedMentions.none()


async def send_private(interaction: discord.Interaction[Any], text: str) -> None:
    """Send ``text`` only to the user: as the first response, or as a follow-up when one was sent."""
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
            return
        if interaction.extras.get("deferred_public") and not interaction.extras.get("sent"):
            # a public "thinking…" message is pending: remove it, so the apology can stay private
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.debug("could not delete the pending response", exc_info=True)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
    except (discord.HTTPException, aiohttp.ClientError) as exc:
        log.warning("could not tell the user about an error: %s", exc)


def _user_facing(error: app_commands.AppCommandError) -> str | None:
    """Errors the user caused and can fix get their own message; None for bugs."""
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Please wait {error.retry_after:.0f} seconds before asking again."
    if isinstance(
        error, app_commands.MissingPermissions | app_commands.MissingAnyRole | app_commands.MissingRole
    ):
        return "You don't have permission to use this command."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use this command here."
    if isinstance(error, app_commands.TransformerError | app_commands.CommandNotFound):
        return "I didn't understand that command; try `/help`."
    return None


async def on_app_command_error(
    interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> None:
    """``CommandTree.on_error``: apology for bugs, a plain reason for the user's own mistakes."""
    message = _user_facing(error)
    if message is None:
        original = getattr(error, "original", error)
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "error in command %r for user %s",
            name,
            interaction.user.id,
            exc_info=(type(original), original, original.__traceback__),
        )
        message = APOLOGY
    await send_private(interaction, message)


async def on_component_error(
    interaction: discord.Interaction[Any], error: Exception, item: Any = None
) -> None:
    """For buttons (views and dynamic items): same contract as commands."""
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = getattr(item, "custom_id", None) or data.get("custom_id")
    log.error(
        "error in component %r for user %s",
        custom_id,
        interaction.user.id,
        exc_info=(type(error), error, error.__traceback__),
    )
    await send_private(interaction, APOLOGY)


class SafeView(discord.ui.View):
    """A persistent view (``timeout=None``) whose errors go to the central handler."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await on_component_error(interaction, error, item)
