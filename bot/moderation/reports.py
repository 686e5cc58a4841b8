"""Plain-text reports for moderators: document list, history, gaps and the retrieval debug view.

Pure functions over the snapshot, the records and the store, so the ``/kb`` cog only sends what
these return (Discord markup: mentions and ``discord.utils.format_dt`` timestamps). Text that
comes from knowledge files or users goes through ``safe`` (the cog passes
the Discord renderer's escaper) and every report is cut to a character budget with a note saying
how much was left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import discord.utils

from bot.core.engine import DebugHit, Engine
from bot.core.index.build import Snapshot
from bot.moderation.records import AuditEntry, DeclinedGap, Deleted, UnhelpfulGap
from bot.moderation.store import Version

Escape = Callable[[str], str]


def no_escape(text: str) -> str:
    """The escaper for plain text (the command line, tests): leaves text as it is."""
    return text


_PLAIN = re.compile(r"[\w.#/ -]+")  # nothing that could end a code span or start markup or a mention


def code(text: str, safe: Escape = no_escape) -> str:
    """``text`` as inline code when it is plain (letters, digits, ``_ . # / -`` and spaces), else as
    escaped text. Inside a code span nothing can be escaped: a file name holding a backtick would
    end the span and let the rest (a masked link, a mention) through, so such a name is not put in one.
    """
    return f"`{text}`" if _PLAIN.fullmatch(text) else safe(text)


def who(user_id: int | None, action: str = "") -> str:
    """A user mention (rendered as a name by Discord, never a ping with mentions off), "on disk"
    for a change seen in the folder, or "a forgotten user" for one whose id ``/kb forget`` removed."""
    if user_id is not None:
        return f"<@{user_id}>"
    return "on disk" if action.endswith("on disk") else "a forgotten user"


def when(at: float) -> str:
    """A Discord timestamp: shown in each reader's own time zone and language."""
    return discord.utils.format_dt(datetime.fromtimestamp(at, tz=UTC), "R")


def deleted_counts(deleted: Deleted) -> str:
    return (f"{deleted.feedback} feedback vote(s), {deleted.declined} declined question(s) and "
            f"{deleted.answers} stored answer(s)")


def forget_report(user_id: int, deleted: Deleted) -> str:
    """``/kb forget``: what was deleted about a user, and what became of their audit entries."""
    audit = (f"Their user id was removed from {deleted.audit} audit log entry(ies); the changes are kept "
             f"and now show as made by a forgotten user." if deleted.audit
             else "No audit log entry named them.")
    return (f"Forgot {who(user_id)}: deleted {deleted_counts(deleted)}. {audit} Buttons on answers they "
            f"asked for now say the answer is no longer stored.")


def join_within(lines: Sequence[str], limit: int, more: Callable[[int], str]) -> str:
    """Join as many lines as fit in ``limit`` characters, then ``more(left_out)`` if any were left out."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        tail = more(len(lines) - i - 1) if i < len(lines) - 1 else ""
        if used + len(line) + 1 + len(tail) + 1 > limit:
            out.append(more(len(lines) - i))
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)[:limit]


def document_list(snap: Snapshot, last: dict[str, AuditEntry], limit: int = 1900,
                  safe: Escape = no_escape) -> str:
    """``/kb list``: each document with chunk count, last change and who made it; problems last."""
    counts = snap.chunk_counts()
    rows: list[tuple[float, str]] = []
    for doc in snap.documents:
        filename = Path(doc.path).name
        entry = last.get(filename)
        change = (f"{entry.action} {when(entry.at)} by {who(entry.user_id, entry.action)}" if entry
                  else "no recorded change")
        rows.append((entry.at if entry else 0.0,
                     f"• {code(filename, safe)} — {safe(doc.title)} · {counts.get(doc.doc_id, 0)} chunks · "
                     f"{change}"))
    rows.sort(key=lambda r: -r[0])
    head = f"**{len(snap.documents)} document(s), {len(snap.chunks)} chunk(s)**"
    if snap.alias_groups:
        head += f" · {len(snap.alias_groups)} alias group(s)"
    lines = [head, *(r[1] for r in rows)]
    if snap.problems:
        lines.append(f"**Problems ({len(snap.problems)})** — /kb reload shows them in full")
    return join_within(lines, limit, lambda n: f"… and {n} more")


def version_list(filename: str, versions: Sequence[Version], audit: Sequence[AuditEntry],
                 limit: int = 1900, safe: Escape = no_escape) -> str:
    """``/kb history document``: numbered versions (for ``/kb restore``) and the audit trail."""
    lines = [f"**Versions of {code(filename, safe)}** (newest first; restore one with "
             f"{code(f'/kb restore {filename}', safe)} and its number)"]
    if not versions:
        lines.append("No versions kept yet.")
    lines += [f"{i}. {v.describe()}" for i, v in enumerate(versions, 1)]
    if audit:
        lines.append("**Changes**")
        lines += [f"• {e.action} {when(e.at)} by {who(e.user_id, e.action)}: "
                  f"{(e.old_hash or '—')[:12]} → {(e.new_hash or 'removed')[:12]}" for e in audit]
    return join_within(lines, limit, lambda n: f"… and {n} more lines")


def audit_list(entries: Sequence[AuditEntry], limit: int = 1900, safe: Escape = no_escape) -> str:
    """``/kb history`` without a document: the latest changes to any document."""
    if not entries:
        return "No changes recorded yet."
    lines = ["**Latest changes**"]
    lines += [f"• {code(e.document, safe)} {e.action} {when(e.at)} by {who(e.user_id, e.action)} "
              f"({(e.new_hash or 'removed')[:12]})" for e in entries]
    return join_within(lines, limit, lambda n: f"… and {n} more")


def _chunk_label(engine: Engine, chunk_id: str, safe: Escape) -> str:
    found = engine.describe_chunk(chunk_id)
    if found is None:
        return f"{code(chunk_id, safe)} (no longer in the knowledge base)"
    title, number, text = found
    preview = " ".join(text.split())[:80]
    return f"{safe(title)} · ¶{number} (“{safe(preview)}…”)"


def gaps_report(declined: Sequence[DeclinedGap], unhelpful: Sequence[UnhelpfulGap], engine: Engine,
                log_questions: bool, limit: int = 3900, safe: Escape = no_escape) -> str:
    """``/kb gaps``: what people asked that the bot could not answer, and answers marked unhelpful."""
    lines = ["**Questions the bot declined most often**"]
    if not log_questions:
        lines.append("The question log is off (moderation.log_questions: false).")
    elif not declined:
        lines.append("None recorded yet.")
    lines += [f"• {g.count}× ({g.askers} people) “{safe(g.question[:200])}” — last {when(g.last_at)}"
              for g in declined]
    if declined:
        lines += _unused_words_lines(declined, engine, safe)
    lines.append("**Answers most often marked “Not helpful”**")
    if not unhelpful:
        lines.append("None recorded yet.")
    for g in unhelpful:
        asked = f" — e.g. “{safe(g.last_question[:120])}”" if g.last_question else ""
        lines.append(f"• {g.not_helpful}× not helpful, {g.helpful}× helpful: "
                     f"{_chunk_label(engine, g.chunk_id, safe)}{asked}")
    return join_within(lines, limit, lambda n: f"… and {n} more")


UNUSED_WORDS_SHOWN = 10


def _unused_words_lines(declined: Sequence[DeclinedGap], engine: Engine, safe: Escape) -> list[str]:
    """The words of the declined questions the knowledge base never uses, most asked first: what
    an alias in ``aliases.yaml`` can join to the knowledge base's own word."""
    asked: dict[str, int] = {}
    example: dict[str, str] = {}
    for g in declined:
        for word in engine.unused_words(g.question):
            asked[word] = asked.get(word, 0) + g.count
            example.setdefault(word, g.question)
    lines = ["**Words of those questions the knowledge base never uses**"]
    if not asked:
        lines.append("None: the declined questions use the knowledge base's own words.")
        return lines
    ranked = sorted(asked.items(), key=lambda item: (-item[1], item[0]))[:UNUSED_WORDS_SHOWN]
    for word, n in ranked:
        meant = engine.spelled_out(word)
        perhaps = f" — the files say “{safe(meant[:60])}”?" if meant else ""
        lines.append(f"• {code(word, safe)} — {n}× (e.g. “{safe(example[word][:80])}”){perhaps}")
    lines.append("If one means a word the knowledge base uses, an alias joins them: in `aliases.yaml`, "
                 "`- [CoC, Code of Conduct]`.")
    return lines


def debug_report(question: str, outcome: str, weights: dict[str, float], hits: Sequence[DebugHit],
                 limit: int = 3900, safe: Escape = no_escape, unused: Sequence[str] = ()) -> str:
    """``/kb test``: the private debug view (``unused``: the words a decline names, which the
    knowledge base never uses)."""
    terms = ", ".join(f"{code(t, safe)} {w:.2f}" for t, w in weights.items()) or "none (only common words)"
    lines = [f"**Question:** {safe(question[:300])}", f"**Outcome:** {outcome}",
             f"**Terms (weight):** {terms}"]
    if unused:
        lines.append(f"**Never used by the knowledge base:** {', '.join(code(w, safe) for w in unused)} "
                     "(an alias in `aliases.yaml` can join one to the files' own word)")
    if not hits:
        lines.append("No chunk contains any of the terms.")
    for h in hits:
        lines.append(f"**{h.rank}.** {code(h.chunk_id, safe)} — {safe(h.title[:80])} · ¶{h.paragraph} · "
                     f"BM25 {h.bm25:.3f} · coverage {h.coverage:.0%}")
        lines.append(f"  matched: {', '.join(map(safe, h.matched)) or '—'} · "
                     f"missing: {', '.join(map(safe, h.missing)) or '—'}")
        lines.append(f"  > {safe(h.preview)}…")
    return join_within(lines, limit, lambda n: f"… ({n} more lines)")
