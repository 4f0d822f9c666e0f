"""The small graph view on each page: the entity in the middle, its neighbours on a circle
around it, as inline SVG (no script, no external asset).

Neighbours sharing a relation sit side by side; each is coloured by its kind and links to
its page. Large neighbourhoods are cut to :data:`MAX_NODES`; the view says so, and lists the
neighbours it leaves out. The legend is made from the nodes drawn, one colour per kind.

>>> from omskg.web.pages import Link, Neighbour
>>> view = graph_view(Link("OMS"), [Neighbour(Link("ataxia", "/entity/ataxia", kind="finding"),
...                                           "has phenotype", True)])
>>> view.svg.startswith("<svg") and 'href="/entity/ataxia"' in view.svg, view.legend
(True, {'finding': '#4e79a7'})
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from omskg.web.pages import Link, Neighbour

MAX_NODES = 40
WIDTH, HEIGHT = 960, 640
_RADIUS = 240
# Tableau 20: twenty colours told apart, for the kinds of up to MAX_NODES neighbours (the
# ontology has fewer kinds of entity than that); a kind past the twentieth is drawn grey and
# named "other kinds" in the legend.
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
    "#a0cbe8",
    "#ffbe7d",
    "#8cd17d",
    "#ff9d9a",
    "#86bcb6",
    "#f1ce63",
    "#d4a6c8",
    "#fabfd2",
    "#d7b5a6",
    "#79706e",
)
_OVERFLOW = ("other kinds", "#dddddd")


@dataclass(frozen=True)
class GraphView:
    """The drawing, its legend (kind -> colour, for the kinds drawn) and the neighbours
    left out of it."""

    svg: str
    legend: dict[str, str]
    undrawn: tuple[Neighbour, ...]


def graph_view(centre: Link, neighbours: Sequence[Neighbour]) -> GraphView:
    """``centre`` and up to :data:`MAX_NODES` of its ``neighbours`` (by relation, then name)."""
    ordered = sorted(neighbours, key=lambda n: (n.relation, n.node.text.lower()))
    shown, rest = ordered[:MAX_NODES], tuple(ordered[MAX_NODES:])
    colours = _kind_colours(shown)
    legend = dict(sorted({_legend_kind(colours, n): _colour(colours, n) for n in shown}.items()))
    return GraphView(_svg(centre, shown, colours, len(rest)), legend, rest)


def _kind_colours(shown: Sequence[Neighbour]) -> dict[str, str]:
    kinds = sorted({n.node.kind or "other" for n in shown})
    return dict(zip(kinds, _PALETTE, strict=False))


def _colour(colours: dict[str, str], neighbour: Neighbour) -> str:
    return colours.get(neighbour.node.kind or "other", _OVERFLOW[1])


def _legend_kind(colours: dict[str, str], neighbour: Neighbour) -> str:
    kind = neighbour.node.kind or "other"
    return kind if kind in colours else _OVERFLOW[0]


def _svg(centre: Link, shown: Sequence[Neighbour], colours: dict[str, str], left_out: int) -> str:
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
    if left_out:
        parts.append(
            f'<text x="10" y="{HEIGHT - 10}" class="more">and {left_out} more, not drawn '
            "(listed below the drawing)</text>"
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
    colour = _colour(colours, neighbour)
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
