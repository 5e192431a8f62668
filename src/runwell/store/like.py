"""SQL LIKE matching in Python that never backtracks (a regex did, for 16 s).

``%`` matches any run of characters (the empty one too), ``_`` exactly one character, and every
other character itself: there is no escape character, as in SQLite's LIKE. LIKE compares
characters exactly; ILIKE compares the lower-cased text with the lower-cased pattern, which is
how the SQL stores write it (``lower(column) LIKE lower(pattern)``)::

    like_pattern("r%-_", case_sensitive=True).matches("run-1")  # True
    like_pattern("R%", case_sensitive=False).matches("run-1")  # True

Why not a regex: ``%`` as ``.*`` makes ``re`` try every way of splitting the text between the
wildcards, so ``'<90 x %>x'`` against ``'false'`` took 16 s and, holding the GIL, froze the whole
server (issue 19). Here the pattern is cut at each ``%`` into segments of literals and ``_``
(each of fixed length) and the segments are placed left to right, each at its leftmost
possible position: if any placement matches, the leftmost one does too, because moving a
segment left only leaves more room for the ones after it. The first segment must sit at the
start, the last at the end; a segment is found with a fixed-length regex (no quantifier, so
nothing to backtrack into). Each character of the text is tried as the start of at most one
segment at a time, so a match costs at most (text length x pattern length) character steps,
in C, and about (text length + pattern length) for patterns of literals.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Segment:
    """Literals and ``_`` between two ``%``: a regex of fixed length, without quantifiers."""

    regex: re.Pattern[str]
    length: int


def _segment(text: str) -> _Segment:
    body = "".join("." if char == "_" else re.escape(char) for char in text)
    return _Segment(re.compile(body, re.DOTALL), len(text))


@dataclass(frozen=True, slots=True)
class LikePattern:
    """A compiled LIKE pattern; ``matches`` tests a whole string."""

    case_sensitive: bool
    wildcard: bool  # whether the pattern has a '%'; without one, ``head`` is all of it
    head: _Segment
    middle: tuple[_Segment, ...]
    tail: _Segment
    length: int  # characters the segments need at least (one per literal or '_')

    def matches(self, text: str) -> bool:
        """Whether the whole of ``text`` matches the pattern."""
        if not self.case_sensitive:
            text = text.lower()
        if not self.wildcard:
            return self.head.regex.fullmatch(text) is not None
        if len(text) < self.length or self.head.regex.match(text) is None:
            return False
        end = len(text) - self.tail.length
        if self.tail.regex.fullmatch(text, end) is None:
            return False
        position = self.head.length
        for segment in self.middle:
            found = segment.regex.search(text, position, end)  # never into the tail
            if found is None:
                return False
            position = found.end()
        return True


def like_pattern(pattern: str, *, case_sensitive: bool) -> LikePattern:
    """Compile a LIKE pattern (ILIKE when ``case_sensitive`` is false); the last 512 are kept."""
    return _compiled(pattern, case_sensitive)


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, case_sensitive: bool) -> LikePattern:
    if not case_sensitive:
        pattern = pattern.lower()
    parts = pattern.split("%")
    head, tail = _segment(parts[0]), _segment(parts[-1])
    middle = tuple(_segment(part) for part in parts[1:-1] if part)
    length = head.length + tail.length + sum(s.length for s in middle)
    if len(parts) == 1:
        return LikePattern(case_sensitive, False, head, (), head, head.length)
    return LikePattern(case_sensitive, True, head, middle, tail, length)
