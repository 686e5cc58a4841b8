"""The Discord adapter: a ``commands.Bot`` around the answer engine (see ``docs/discord.md``).

Nothing in ``bot.core`` imports this package; it only reads the core's :class:`~bot.core.answer.Answer`.
"""
