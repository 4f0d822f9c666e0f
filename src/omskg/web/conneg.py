"""HTTP content negotiation (RFC 9110, section 12.5.1): pick what to send from an ``Accept`` header.

>>> choose("text/html;q=0.9, text/turtle", ["text/html", "text/turtle"])
'text/turtle'
>>> choose("application/*", ["text/html", "application/ld+json"])
'application/ld+json'
>>> choose("", ["text/html", "text/turtle"])
'text/html'
>>> choose("image/png", ["text/html"]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header: ``type/subtype`` (either may be ``*``) and its weight."""

    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of ``header``; an empty or missing header accepts anything.

    Parameters other than ``q`` are ignored; a malformed ``q`` counts as 1, an
    element without a slash is skipped (browsers and clients do send such things).

    >>> parse_accept("text/html, */*;q=0.1")
    [MediaRange(type='text', subtype='html', q=1.0), MediaRange(type='*', subtype='*', q=0.1)]
    """
    ranges: list[MediaRange] = []
    for element in header.split(","):
        media, *params = (part.strip() for part in element.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not slash or not kind or not sub:
            continue
        ranges.append(MediaRange(kind, sub, _weight(params)))
    return ranges or [MediaRange("*", "*", 1.0)]


def _weight(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 1.0
    return 1.0


def quality(ranges: Sequence[MediaRange], media_type: str) -> float:
    """The weight ``ranges`` give ``media_type``: that of the most specific range matching it."""
    matching = [r for r in ranges if r.matches(media_type)]
    if not matching:
        return 0.0
    return max(matching, key=lambda r: r.specificity).q


def choose(header: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client wants most, the server's order breaking ties;
    None when the client accepts none of them (the server answers 406)."""
    ranges = parse_accept(header or "")
    best, best_q = None, 0.0
    for media_type in offered:
        q = quality(ranges, media_type)
        if q > best_q:
            best, best_q = media_type, q
    return best
