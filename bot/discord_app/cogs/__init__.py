"""Extensions the bot loads at start-up (see ``bot.discord_app.client.EXTENSIONS``)."""
