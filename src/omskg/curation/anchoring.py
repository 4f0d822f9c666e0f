"""Evidence that can be found again in a copy of a document that is not ours byte for byte.

Each piece of evidence cites a span by character offsets into the exact text we hold
(``start``, ``end``: a W3C ``TextPositionSelector``). A reader's copy of the same document
differs: other line breaks, other spaces, a navigation line or a paragraph more. So each piece
also carries a short quote, the way the Hypothesis client anchors notes in pages that change:
a few words before the passage (``before``), its first words (``first``), its last words
(``last``) and a few words after it (``after``), each at most :data:`QUOTE_WORDS` words, far
under the ten-word runs the project never copies. In RDF they are a W3C ``RangeSelector``
whose start and end are ``TextQuoteSelector``\\ s (prefix and exact; exact and suffix).

Finding a passage (:func:`place`): at its recorded position when the quote is there, else
wherever the quote is found with any whitespace between its words, nearest the recorded
position when it is found more than once.

>>> text = "Intro line.\\nThe drug of choice is X, a calming agent. It helps most."
>>> quote = quote_of(text, 12, 53)
>>> quote.first, quote.last, quote.after
('The drug of choice', 'X, a calming agent.', 'It helps most.')
>>> moved = "A new paragraph.\\n\\nIntro  line.\\nThe drug of\\nchoice is X, a calming agent. It helps most."
>>> found = place(moved, 12, 53, quote)
>>> found.how, moved[found.start:found.end].split()[:3]
('quote', ['The', 'drug', 'of'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The most words each of the four parts of a quote holds, and the most runs of letters and
#: digits (``545-1903.`` is one word but two runs, as source_overlap.py counts them); a part
#: of one word may hold more runs (an address), as a word cannot be cut.
QUOTE_WORDS = 4
QUOTE_RUNS = 6
_WORD = re.compile(r"\S+")
_RUN = re.compile(r"[a-z0-9]+", re.IGNORECASE)
#: The parts of a quote, as the evidence records name them.
QUOTE_PARTS = ("before", "first", "last", "after")


@dataclass(frozen=True)
class Quote:
    """A passage's anchors: words before it, its first and last words, words after it."""

    before: str
    first: str
    last: str
    after: str

    def parts(self) -> dict[str, str]:
        return dict(zip(QUOTE_PARTS, (self.before, self.first, self.last, self.after), strict=True))

    def problem(self) -> str | None:
        """What is wrong with the quote as a record gives it, or None.

        >>> Quote("", "", "end.", "").problem()
        'quote needs `first` and `last`, the first and last words of the passage'
        >>> Quote("a b c d e", "x", "y", "").problem()
        '`before` has 5 words: a quote part holds at most 4 words and 6 runs of letters or digits'
        """
        if not (self.first.strip() and self.last.strip()):
            return "quote needs `first` and `last`, the first and last words of the passage"
        for name, part in self.parts().items():
            words, runs = len(_WORD.findall(part)), len(_RUN.findall(part))
            if words > QUOTE_WORDS or (runs > QUOTE_RUNS and words > 1):
                size = f"{words} words" if words > QUOTE_WORDS else f"{runs} runs of letters or digits"
                return (
                    f"`{name}` has {size}: a quote part holds at most {QUOTE_WORDS} words and "
                    f"{QUOTE_RUNS} runs of letters or digits"
                )
        return None


@dataclass(frozen=True)
class Placement:
    """Where a passage was found: its offsets, and ``how`` ("position" or "quote"); ``start`` and
    ``end`` are None, with ``missing`` naming the part, when it could not be placed."""

    start: int | None
    end: int | None
    how: str
    missing: str = ""


def quote_of(text: str, start: int, end: int, words: int = QUOTE_WORDS) -> Quote:
    """The quote of ``text[start:end]``: up to ``words`` words on each side of both edges,
    whitespace written as single spaces."""
    inside = _WORD.findall(text[start:end])
    return Quote(
        before=" ".join(_few(_WORD.findall(text[:start])[::-1], words)[::-1]),
        first=" ".join(_few(inside, words)),
        last=" ".join(_few(inside[::-1], words)[::-1]),
        after=" ".join(_few(_WORD.findall(text[end:]), words)),
    )


def _few(words: list[str], most: int) -> list[str]:
    """The first words of ``words``, at most ``most`` words and :data:`QUOTE_RUNS` runs."""
    taken: list[str] = []
    runs = 0
    for word in words[:most]:
        runs += len(_RUN.findall(word))
        if runs > QUOTE_RUNS and taken:
            break
        taken.append(word)
    return taken


def _pattern(*parts: str) -> str:
    """The words of ``parts`` with any whitespace between them."""
    return r"\s*".join(
        r"\s+".join(re.escape(w) for w in _WORD.findall(part)) for part in parts if part.strip()
    )


def at_position(text: str, start: int, end: int, quote: Quote) -> bool:
    """True when the quote is found exactly around ``start`` and ``end`` in ``text``."""
    if not 0 <= start < end <= len(text):
        return False
    head = re.compile(_pattern(quote.before) + r"\s*$").search(text, 0, start) if quote.before else True
    tail = re.compile(r"\s*" + _pattern(quote.after)).match(text, end) if quote.after else True
    inside = text[start:end]
    return bool(
        head
        and tail
        and re.match(_pattern(quote.first), inside)
        and re.search(_pattern(quote.last) + "$", inside)
    )


def place(text: str, start: int, end: int, quote: Quote) -> Placement:
    """Find the passage ``start``-``end`` (offsets into our copy) in ``text``, another copy of
    the document: at the same offsets when the quote is there, else by the quote. An edge whose
    neighbouring words changed (a paragraph cut or added beside the passage) is found by the
    passage's own words alone, if they occur once in the text and the other edge keeps its
    neighbours."""
    if at_position(text, start, end, quote):
        return Placement(start, end, "position")
    heads = _edges(text, f"{_pattern(quote.before)}\\s*(?P<edge>{_pattern(quote.first)})", start=True)
    tails = _edges(text, f"(?P<edge>{_pattern(quote.last)})\\s*{_pattern(quote.after)}", start=False)
    if not heads and tails:
        heads = _edges(text, f"(?P<edge>{_pattern(quote.first)})", start=True, once=True)
    elif heads and not tails:
        tails = _edges(text, f"(?P<edge>{_pattern(quote.last)})", start=False, once=True)
    if not heads:
        return Placement(None, None, "", "the words before the passage and its first words")
    length = end - start
    pairs = [(h, t) for h in heads for t in tails if t > h]
    if not pairs:
        return Placement(None, None, "", "its last words and the words after it")
    # nearest the recorded place, then nearest the recorded length
    found_start, found_end = min(pairs, key=lambda p: (abs(p[0] - start), abs((p[1] - p[0]) - length)))
    return Placement(found_start, found_end, "quote")


def _edges(text: str, pattern: str, *, start: bool, once: bool = False) -> list[int]:
    """Where the group ``edge`` of ``pattern`` starts (``start``) or ends in ``text``; with
    ``once``, nothing unless it occurs exactly once."""
    found = [m.start("edge") if start else m.end("edge") for m in re.finditer(pattern, text)]
    return found if not once or len(found) == 1 else []
