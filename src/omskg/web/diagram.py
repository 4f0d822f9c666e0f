"""Pictures of an entity's neighbourhood: what the graph relates it to, grouped and coloured by kind.

:func:`neighbourhood` reads the entity's outgoing fact relations (the sub-properties of
``oms:factRelation``) from the graph, and :data:`KINDS` places each relation in a kind a clinician
would recognise: causes, diagnosis, symptoms, treatments, course, other. :func:`to_dot` lays them
out for Graphviz from left to right: the kinds that lead to the entity (causes, diagnosis, other)
on its left, those that follow from it (symptoms, treatments, course) on its right. Each kind is a
coloured box of neighbours in rows, with a titled box per relation when the kind's title does not
already say it, and one arrow from the entity to the box in place of an arrow per neighbour.
:func:`render` runs Graphviz's ``dot`` and replaces the output files atomically.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef

from omskg.errors import OmsError
from omskg.prefixes import OMS, load_prefix_map


@dataclass(frozen=True)
class Kind:
    """A group of relations drawn as one coloured box; ``before`` places it left of the entity."""

    key: str
    title: str
    fill: str
    line: str
    before: bool
    relations: tuple[URIRef, ...]


#: The kinds, in drawing order; a relation not listed falls into the last one ("other").
KINDS: tuple[Kind, ...] = (
    Kind(
        "cause",
        "causes, triggers and associations",
        "#fde3d9",
        "#c0504d",
        True,
        (
            OMS.hasTrigger,
            OMS.hasRelapseTrigger,
            OMS.associatedWith,
            OMS.hasCausalAgent,
            OMS.hasProposedMechanism,
            OMS.hasMechanismStep,
            OMS.arisesFrom,
        ),
    ),
    Kind(
        "diagnosis",
        "diagnosis",
        "#ebe1f5",
        "#7b5ea7",
        True,
        (OMS.hasDiagnosticCriterion, OMS.hasDiagnosticProcedure, OMS.mayIndicate),
    ),
    Kind(
        "phenotype",
        "symptoms and signs",
        "#dce9f7",
        "#3f75b0",
        False,
        (OMS.hasPhenotype, OMS.hasAdverseEffect),
    ),
    Kind("treatment", "treatments", "#dff0da", "#4a8f3f", False, (OMS.hasTreatment,)),
    Kind(
        "course",
        "course and prognosis",
        "#fff1c9",
        "#b3860b",
        False,
        (OMS.hasClinicalCourse, OMS.hasOutcome, OMS.hasPrognosticFactor),
    ),
    Kind("other", "other", "#ececec", "#777777", True, ()),
)
OTHER = KINDS[-1]
_KIND_OF_RELATION = {relation: kind for kind in KINDS for relation in kind.relations}

FORMATS = ("svg", "png")
MAX_COLUMNS = 4  # nodes side by side in one box
ROWS_PER_COLUMN = 3  # a box gets another column for every this many nodes, up to MAX_COLUMNS
WRAP = 24  # characters per line of a node label
FONT = "Helvetica,Arial,sans-serif"
DOT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Neighbour:
    """One fact ``entity --relation--> node``; ``hedged`` when every statement of it carries a
    certainty qualifier (possible, probable, hypothesised, research prospect)."""

    kind: Kind
    relation: URIRef
    relation_label: str
    node: URIRef
    label: str
    hedged: bool

    @property
    def node_id(self) -> str:
        """The Graphviz node id: relation and node as CURIEs (a node can sit in several boxes)."""
        return f"{load_prefix_map().curie(str(self.relation))} {load_prefix_map().curie(str(self.node))}"


@dataclass(frozen=True)
class Neighbourhood:
    """An entity, its label, and its neighbours sorted by kind, relation label and label."""

    entity: URIRef
    label: str
    neighbours: tuple[Neighbour, ...]

    def labels(self, kind: str) -> set[str]:
        """The labels of the neighbours of the kind keyed ``kind``."""
        return {n.label for n in self.neighbours if n.kind.key == kind}

    def groups(self) -> list[tuple[Kind, list[list[Neighbour]]]]:
        """Each kind present, with its neighbours in one list per relation, in drawing order."""
        grouped: dict[str, dict[URIRef, list[Neighbour]]] = {}
        for item in self.neighbours:
            grouped.setdefault(item.kind.key, {}).setdefault(item.relation, []).append(item)
        return [(kind, list(grouped[kind.key].values())) for kind in KINDS if kind.key in grouped]


def entity_iri(text: str) -> URIRef:
    """The IRI of ``text``, a CURIE (``omse:oms``) or a full IRI.

    >>> entity_iri("omse:myoclonus")
    rdflib.term.URIRef('https://w3id.org/omskg/entity/myoclonus')
    """
    if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", text):
        return URIRef(text)
    if re.fullmatch(r"[A-Za-z][\w.-]*:\S+", text):
        return URIRef(load_prefix_map().expand(text))
    raise OmsError(f"{text!r} is neither a CURIE nor an IRI; name an entity such as omse:oms")


def local_name(entity: URIRef) -> str:
    """The local part of ``entity``'s CURIE (its IRI's last segment if no prefix covers it).

    >>> local_name(entity_iri("omse:oms"))
    'oms'
    """
    curie = load_prefix_map().compress(str(entity))
    if curie is not None:
        return curie.partition(":")[2]
    return str(entity).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def neighbourhood(graph: Graph, entity: URIRef) -> Neighbourhood:
    """The fact relations from ``entity`` to other entities, each placed in its kind.

    Raises :class:`OmsError` when ``entity`` is not in ``graph`` or relates to no other entity.
    """
    if (entity, None, None) not in graph and (None, None, entity) not in graph:
        raise OmsError(
            f"{load_prefix_map().curie(str(entity))} is not in the graph; give the CURIE of an entity, "
            "such as omse:oms"
        )
    facts = set(graph.transitive_subjects(RDFS.subPropertyOf, OMS.factRelation))
    neighbours = [
        Neighbour(
            _KIND_OF_RELATION.get(relation, OTHER),
            relation,
            _label(graph, relation),
            node,
            _label(graph, node),
            _hedged(graph, entity, relation, node),
        )
        for relation, node in graph.predicate_objects(entity)
        if relation in facts and isinstance(relation, URIRef) and isinstance(node, URIRef)
    ]
    if not neighbours:
        raise OmsError(
            f"{load_prefix_map().curie(str(entity))} has no fact relation to another entity, "
            "so there is nothing to draw; "
            "try a condition such as omse:oms"
        )
    order = {kind.key: i for i, kind in enumerate(KINDS)}
    neighbours.sort(
        key=lambda n: (order[n.kind.key], n.relation_label, n.label.casefold(), n.label, str(n.node))
    )
    return Neighbourhood(entity, _label(graph, entity), tuple(neighbours))


def to_dot(graph: Graph, entity: URIRef) -> str:
    """The Graphviz DOT text of ``entity``'s neighbourhood (the same text on every run)."""
    hood = neighbourhood(graph, entity)
    centre = _quote(load_prefix_map().curie(str(entity)))
    lines = [
        f"digraph {_quote('neighbourhood of ' + hood.label)} {{",
        f"  graph [compound=true, rankdir=LR, newrank=true, nodesep=0.1, ranksep=0.25, "
        f'fontname={_quote(FONT)}, fontsize=14, labeljust=l, style="rounded,filled", penwidth=1.4];',
        f'  node [shape=box, style="rounded,filled", fillcolor=white, fontname={_quote(FONT)}, fontsize=11, '
        'margin="0.08,0.03", height=0.3, penwidth=1];',
        "  edge [penwidth=1.8, arrowsize=0.8];",
        f"  {centre} [label={_quote(hood.label + chr(10) + load_prefix_map().curie(str(entity)))}, "
        "fontsize=16, "
        'fillcolor="#2f3e4e", fontcolor=white, color="#2f3e4e", margin="0.2,0.12"];',
    ]
    # The edges naming the entity come after the boxes, in reading order, which dot keeps for the
    # rows (inside a box, an edge would declare the entity as part of it).
    edges: list[str] = []
    for kind, relations in hood.groups():
        lines += _kind_cluster(kind, relations, centre, edges)
    lines += edges
    # The legend goes under the entity, where the layout leaves room.
    lines += [_legend(hood), f"  {{ rank=same; {centre} -> legend [style=invis]; }}", "}"]
    return "\n".join(lines) + "\n"


def _kind_cluster(kind: Kind, relations: list[list[Neighbour]], centre: str, edges: list[str]) -> list[str]:
    """One box for ``kind``, holding a titled box per relation unless the kind has only its first
    relation (which its title names). Adds to ``edges`` the edges that place its rows beside the
    entity and the one arrow to the box."""
    cluster = _quote(f"cluster_{kind.key}")
    count = sum(len(items) for items in relations)
    lines = [
        f"  subgraph {cluster} {{",
        f"    label={_quote(f'{kind.title} ({count})')}; fillcolor={_quote(kind.fill)}; "
        f"color={_quote(kind.line)}; fontcolor={_quote(kind.line)};",
    ]
    titled = len(relations) > 1 or relations[0][0].relation not in kind.relations[:1]
    rows: list[list[str]] = []
    for items in relations:
        grid = _grid(items)
        rows += grid
        body = [f"    {_node(item, kind)}" for item in items]
        body += [f"    {' -> '.join(row)} [style=invis];" for row in grid if len(row) > 1]
        if titled:
            subcluster = _quote(f"cluster_{kind.key} {load_prefix_map().curie(str(items[0].relation))}")
            body = [
                f"    subgraph {subcluster} {{",
                f"      label={_quote(items[0].relation_label)}; fillcolor=white; fontsize=11; penwidth=1;",
                *("  " + line for line in body),
                "    }",
            ]
        lines += body
    lines.append("  }")
    # Each row gets an edge from its end to the entity (or from the entity to its start), which
    # puts it beside the entity; one visible arrow, clipped at the box, stands for all of them.
    anchor = (len(rows) - 1) // 2
    arrow = f"ltail={cluster}, dir=back" if kind.before else f"lhead={cluster}"
    for i, row in enumerate(rows):
        style = f"{arrow}, color={_quote(kind.line)}" if i == anchor else "style=invis"
        edges.append(
            f"  {row[-1]} -> {centre} [{style}];" if kind.before else f"  {centre} -> {row[0]} [{style}];"
        )
    return lines


def _grid(items: list[Neighbour]) -> list[list[str]]:
    """The node ids of one box in rows of up to :data:`MAX_COLUMNS`, read left to right."""
    columns = min(MAX_COLUMNS, math.ceil(len(items) / ROWS_PER_COLUMN))
    ids = [_quote(item.node_id) for item in items]
    return [ids[i : i + columns] for i in range(0, len(ids), columns)]


def _node(item: Neighbour, kind: Kind) -> str:
    style = "rounded,filled,dashed" if item.hedged else "rounded,filled"
    return (
        f"{_quote(item.node_id)} [label={_quote(_wrap(item.label))}, color={_quote(kind.line)}, "
        f"style={_quote(style)}];"
    )


def _legend(hood: Neighbourhood) -> str:
    rows = "".join(
        f'<TR><TD BGCOLOR="{kind.fill}" COLOR="{kind.line}" BORDER="1" WIDTH="18"> </TD>'
        f'<TD ALIGN="LEFT">{_html(kind.title)}</TD></TR>'
        for kind, _ in hood.groups()
    )
    hedge = (
        '<TR><TD BORDER="1" STYLE="dashed" WIDTH="18"> </TD>'
        '<TD ALIGN="LEFT">dashed: the source hedges it '
        "(possible, probable, hypothesised, research prospect)</TD></TR>"
    )
    table = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
        f'<TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>{rows}{hedge}</TABLE>'
    )
    return f'  legend [shape=plaintext, style="", fontsize=12, label=<{table}>];'


def render(
    dot_text: str,
    out_stem: Path,
    *,
    formats: Sequence[str] = FORMATS,
    timeout: float = DOT_TIMEOUT,
) -> list[Path]:
    """Run Graphviz's ``dot`` once on ``dot_text`` and write ``out_stem.<format>`` for each format.

    Every file is written to a temporary sibling and renamed into place only when ``dot`` has
    succeeded for all of them, so a failure leaves the previous files as they were. Raises
    :class:`OmsError` when ``dot`` is missing, fails (with its message) or runs past ``timeout``.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise OmsError(
            f"cannot draw format(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    dot = shutil.which("dot")
    if dot is None:
        raise OmsError(
            "Graphviz's dot was not found on PATH; install Graphviz (Debian: apt-get install graphviz)"
        )
    targets = [out_stem.with_name(f"{out_stem.name}.{fmt}") for fmt in dict.fromkeys(formats)]
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    staged: list[str] = []
    try:
        command = [dot]
        for target in targets:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            os.close(fd)
            staged.append(tmp)
            command += [f"-T{target.suffix[1:]}", f"-o{tmp}"]
        _run_dot(command, dot_text, timeout)
        for tmp in staged:
            os.chmod(tmp, 0o644)  # mkstemp makes the file private; these are for anyone to read
            _fsync(Path(tmp))
    except BaseException:
        for tmp in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, target in zip(staged, targets, strict=True):
        os.replace(tmp, target)
    return targets


def _run_dot(command: list[str], dot_text: str, timeout: float) -> None:
    try:
        done = subprocess.run(
            command, input=dot_text.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise OmsError(
            f"Graphviz's dot took longer than {timeout:g} s; try a smaller neighbourhood"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        raise OmsError(f"Graphviz's dot failed: {message}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hedged(graph: Graph, entity: URIRef, relation: URIRef, node: URIRef) -> bool:
    statements = _statements(graph, entity, relation, node)
    return bool(statements) and all((s, OMS.certainty, None) in graph for s in statements)


def _statements(graph: Graph, entity: URIRef, relation: URIRef, node: URIRef) -> list[URIRef]:
    return [
        s
        for s in graph.subjects(RDF.subject, entity)
        if isinstance(s, URIRef)
        and (s, RDF.type, OMS.Statement) in graph
        and (s, RDF.predicate, relation) in graph
        and (s, RDF.object, node) in graph
    ]


def _label(graph: Graph, node: URIRef) -> str:
    labels = sorted(str(v) for v in graph.objects(node, RDFS.label) if isinstance(v, Literal))
    return labels[0] if labels else load_prefix_map().curie(str(node))


def _wrap(label: str) -> str:
    return "\n".join(textwrap.wrap(label, WRAP, break_on_hyphens=False)) or label


def _quote(text: str) -> str:
    """A DOT double-quoted string (a newline becomes a centred line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
