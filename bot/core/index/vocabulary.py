"""The sorted terms of an index as one string, about 1 byte per letter.

A Python ``str`` costs ~57 bytes of its own plus 8 in a list: at 100k chunks (90k terms) the
vocabulary as a list of strings took 6 MiB, as much as all the rest of the compressed index.
Here the terms are one ``\\0``-separated string (1 byte per character when the terms are ASCII,
as CPython stores it), with every term's length in a small array and every :data:`BLOCK`-th
term kept as its own ``str``. A lookup is a C bisection over those heads and one ``str.find``
inside a block; a term's number is the count of separators before it in its block, and any
term is a slice at an offset the lengths give. Terms never contain ``\\0`` (the analyzer's
tokens are letters, digits and ``_``); one that did would simply not be found.
"""

from __future__ import annotations

import bisect
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from bot.core.index import varint

BLOCK = 32
_SEP = "\0"


class Vocabulary(Sequence[str]):
    """Sorted, distinct terms; term number = position. Immutable."""

    __slots__ = ("_heads", "_len", "_starts", "_text", "lengths")

    def __init__(self, terms: Iterable[str]) -> None:
        terms = list(terms)
        self._len = len(terms)
        self._text = _SEP + _SEP.join(terms) + _SEP if terms else ""
        lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        self.lengths: npt.NDArray[np.unsignedinteger[Any]] = varint.narrowest_uint(lengths)
        self.lengths.setflags(write=False)
        # The separator before each block's first term, and after the last term.
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=offsets[1:])
        self._starts = array("q", offsets[::BLOCK].tolist())
        if len(terms) % BLOCK:
            self._starts.append(int(offsets[-1]))
        self._heads = terms[::BLOCK]

    def __len__(self) -> int:
        return self._len

    def _block(self, b: int) -> list[str]:
        return self._text[self._starts[b] + 1:self._starts[b + 1]].split(_SEP)

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            lo, hi, step = i.indices(self._len)
            if step != 1:
                return list(self)[i]
            if hi <= lo:
                return []
            first, last = lo // BLOCK, (hi - 1) // BLOCK
            span = self._text[self._starts[first] + 1:self._starts[last + 1]].split(_SEP)
            return span[lo - first * BLOCK:hi - first * BLOCK]
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("vocabulary index out of range")
        return self._block(i // BLOCK)[i % BLOCK]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_list())

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.find(term) is not None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Vocabulary):
            return self._text == other._text
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Vocabulary({self._len} terms)"

    def find(self, term: str) -> int | None:
        """The number of ``term``, or None when the vocabulary does not hold it."""
        b = bisect.bisect_right(self._heads, term) - 1
        if b < 0:
            return None
        start = self._starts[b]
        pos = self._text.find(_SEP + term + _SEP, start, self._starts[b + 1] + 1)
        if pos < 0:
            return None
        return b * BLOCK + self._text.count(_SEP, start, pos)

    def bisect_left(self, term: str) -> int:
        """Where ``term`` would be inserted to keep the order (the first term ≥ ``term``)."""
        b = bisect.bisect_left(self._heads, term)
        if b == 0:
            return 0
        return (b - 1) * BLOCK + bisect.bisect_left(self._block(b - 1), term)

    def prefix_range(self, prefix: str) -> tuple[int, int]:
        """The numbers ``lo, hi`` of the terms starting with ``prefix`` (``lo == hi``: none)."""
        lo = self.bisect_left(prefix)
        if lo == self._len or not self[lo].startswith(prefix):
            return lo, lo  # most prefixes tried for an unseen word have no term
        return lo, self.bisect_left(prefix + "\uffff")

    def pick(self, ids: Sequence[int]) -> list[str]:
        """The terms numbered ``ids`` (ascending), sliced out at offsets their lengths give."""
        if not ids:
            return []
        first = ids[0] // BLOCK * BLOCK
        offsets = np.zeros(ids[-1] - first + 1, dtype=np.int64)
        np.cumsum(self.lengths[first:ids[-1]].astype(np.int64) + 1, out=offsets[1:])
        picked = np.asarray(ids, dtype=np.int64)
        starts = (offsets[picked - first] + (self._starts[first // BLOCK] + 1)).tolist()
        text = self._text
        return [text[s:s + n] for s, n in zip(starts, self.lengths[picked].tolist(), strict=True)]

    def memory_bytes(self) -> int:
        """The string, the lengths, the block offsets and the head strings with their list."""
        heads = sum(sys.getsizeof(h) for h in self._heads) + 8 * len(self._heads)
        return (sys.getsizeof(self._text) + int(self.lengths.nbytes)
                + self._starts.itemsize * len(self._starts) + heads)

    def to_list(self) -> list[str]:
        return self._text[1:-1].split(_SEP) if self._len else []
