"""Small builders shared by the moderation tests (knowledge files as bytes)."""

from __future__ import annotations


def doc(title: str, *paragraphs: str) -> bytes:
    """A valid knowledge file with the given title and paragraphs."""
    body = "\n\n".join(paragraphs or ("Placeholder paragraph about nothing in particular.",))
    return f"---\ntitle: {title}\n---\n\n{body}\n".encode()


ZEBRAS = doc("Zebras", "Zebras eat grass on the savanna and drink from rivers.")
ZEBRAS_V2 = doc("Zebras", "Zebras eat grass and leaves, and they sleep standing up in herds.")
PENGUINS = doc("Penguins", "Penguins live in Antarctica and catch fish in the cold sea.")
BROKEN_FRONT_MATTER = b"---\ntitle: [unclosed\n---\n\nText that would be a paragraph.\n"
