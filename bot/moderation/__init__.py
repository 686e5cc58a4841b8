"""Moderation: the bot's records (SQLite), upload validation, the knowledge folder writer and live reload.

Everything here is pure Python and never imports ``discord``: the ``/kb`` cog in
``bot.discord_app.cogs.kb`` is a thin adapter over these modules.
"""
