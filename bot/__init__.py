"""kb-quote-bot: answers questions with verbatim, cited quotes from a knowledge base.

The package is split in two: ``bot.core`` is the pure retrieval library (no Discord
import anywhere under it) and the adapters (``bot.cli`` and ``bot.discord_app``) render
the same :class:`bot.core.answer.Answer` object.
"""

__version__ = "0.1.0"
