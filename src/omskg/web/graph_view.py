"""The small graph view on each page: the entity in the middle, its neighbours on a circle
around it, as inline SVG (no script, no external asset).

Neighbours sharing a relation sit side by side; each is coloured by its kind and links to
its page. Large neighbourhoods are cut to :data:`MAX_NODES`, and the view says so.

>>> from omskg.web.pages import Link, Neighbour
>>> svg = neighbourhood_svg(Link("OMS"), [Neighbour(Link("ataxia", "/entity/ataxia", kind="finding"),
...                                                  "has phenotype", True)])
>>> svg.startswith("<svg") and 'href="/entity/ataxia"' in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from omskg.web.pages import Link, Neighbour

MAX_NODES = 40
WIDTH, HEIGHT = 960, 640
_RADIUS = 240
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def kind_colours(neighbours: Sequence[Neighbour]) -> dict[str, str]:
    """One colour per kind of neighbour, in order of first appearance by kind name."""
    kinds = sorted({n.node.kind or "other" for n in neighbours})
    return {kind: _PALETTE[i % len(_PALETTE)] for i, kind in enumerate(kinds)}


def neighbourhood_svg(centre: Link, neighbours: Sequence[Neighbour]) -> str:
    """An SVG drawing of ``centre`` and up to :data:`MAX_NODES` of its ``neighbours``."""
    shown = sorted(neighbours, key=lambda n: (n.relation, n.node.text.lower()))[:MAX_NODES]
    colours = kind_colours(shown)
    middle = WIDTH / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="graph-view" role="img" aria-label="neighbourhood of {escape(centre.text)}">'
    ]
    placed = [(n, _position(i, len(shown))) for i, n in enumerate(shown)]
    parts.extend(_edge(n, x, y) for n, (x, y) in placed)
    parts.append(
        f'<circle cx="{middle}" cy="{HEIGHT / 2}" r="14" fill="#333"/>'
        f'<text x="{middle}" y="{HEIGHT / 2 + 32}" text-anchor="middle" class="centre">'
        f"{escape(_short(centre.text, 40))}</text>"
    )
    parts.extend(_node(n, x, y, colours) for n, (x, y) in placed)
    if len(neighbours) > len(shown):
        parts.append(
            f'<text x="10" y="{HEIGHT - 10}" class="more">and {len(neighbours) - len(shown)} more '
            "(listed below)</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _position(index: int, count: int) -> tuple[float, float]:
    angle = 2 * math.pi * index / max(count, 1) - math.pi / 2
    x = WIDTH / 2 + _RADIUS * math.cos(angle)
    y = HEIGHT / 2 + _RADIUS * math.sin(angle)
    return round(x, 1), round(y, 1)


def _edge(neighbour: Neighbour, x: float, y: float) -> str:
    direction = "→" if neighbour.outgoing else "←"
    return (
        f'<line x1="{WIDTH / 2}" y1="{HEIGHT / 2}" x2="{x}" y2="{y}" class="edge">'
        f"<title>{escape(neighbour.relation)} {direction}</title></line>"
    )


def _node(neighbour: Neighbour, x: float, y: float, colours: dict[str, str]) -> str:
    node = neighbour.node
    colour = colours[node.kind or "other"]
    middle = WIDTH / 2
    anchor = "start" if x > middle + 1 else "end" if x < middle - 1 else "middle"
    dx = 12 if anchor == "start" else -12 if anchor == "end" else 0
    dy = 4 if anchor != "middle" else (-12 if y < HEIGHT / 2 else 20)
    title = f"{node.text} ({node.kind or 'other'}; {neighbour.relation})"
    body = (
        f'<circle cx="{x}" cy="{y}" r="8" fill="{colour}"><title>{escape(title)}</title></circle>'
        f'<text x="{x + dx}" y="{y + dy}" text-anchor="{anchor}">{escape(_short(node.text, 28))}</text>'
    )
    if node.href is None:
        return body
    return f'<a href="{escape(node.href)}">{body}</a>'


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
