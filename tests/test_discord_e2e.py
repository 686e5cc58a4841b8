"""End to end: the real discord.py bot against the local Discord stand-in."""

from __future__ import annotations

from tests.discord_standin import CHANNEL_MESSAGE, EPHEMERAL


async def test_ask_answers_with_embed_buttons_and_no_mentions(standin, start_bot):
    await start_bot()
    event = standin.slash("ask", {"question": "How often should I water tomatoes?"})
    await standin.dispatch("INTERACTION_CREATE", event)
    cb = await standin.wait_callback(int(event["id"]))
    assert cb.json["type"] == CHANNEL_MESSAGE
    data = cb.json["data"]
    assert data["allowed_mentions"] == {"parse": []}
    assert not (data.get("flags") or 0) & EPHEMERAL
    (embed,) = data["embeds"]
    assert embed["title"] == "How often should I water tomatoes?"
    assert "> **Water tomatoes** deeply twice a week rather than a little every day.\n— " in embed["description"]
    assert "[*Growing tomatoes* · ¶1 · 2023-05-01](https://example.org/garden/tomatoes#:~:text=" in embed["description"]
    assert "passages matched" in embed["footer"]["text"]
    buttons = [c for row in data["components"] for c in row["components"]]
    labels = [b["label"] for b in buttons]
    assert "Helpful" in labels and "Not helpful" in labels
    assert buttons[-1]["style"] == 5 and buttons[-1]["url"].startswith("https://example.org/garden/tomatoes")
