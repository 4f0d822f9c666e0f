"""Serialise the built graph into ``dist/``: Turtle, JSON-LD, N-Triples and reports.

Every output is deterministic (sorted), so that two builds of the same data give
byte-identical files and data changes show as reviewable diffs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rdflib import RDFS, Graph, URIRef

from omskg.build import MAPPING_PREDICATES, BuiltGraph
from omskg.fileio import write_files_atomically
from omskg.ontology import curated_entities
from omskg.prefixes import OMS, load_prefix_map

GRAPH_NAME = "omskg"


def to_ntriples(graph: Graph) -> str:
    """N-Triples, one triple a line, lines sorted."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "".join(f"{line}\n" for line in sorted(set(lines)) if line.strip())


def to_turtle(graph: Graph) -> str:
    """Turtle with the project's prefixes, subjects and predicates in sorted order."""
    copy = load_prefix_map().bind(Graph())
    copy += graph
    return copy.serialize(format="longturtle")


def to_jsonld(graph: Graph) -> str:
    """Compact JSON-LD with the project's prefixes as ``@context``; nodes sorted by ``@id``."""
    context = load_prefix_map().jsonld_context()
    data = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    nodes = data.get("@graph", [data] if "@id" in data else [])
    doc = {
        "@context": context,
        "@graph": sorted((_sorted_node(n) for n in nodes), key=lambda n: str(n.get("@id"))),
    }
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _sorted_node(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _sorted_node(value) for key, value in node.items()}
    if isinstance(node, list):
        return sorted((_sorted_node(v) for v in node), key=lambda v: json.dumps(v, sort_keys=True))
    return node


def unmapped_report(graph: Graph) -> str:
    """TSV of curated entities without any mapping to an external vocabulary, with the reason."""
    prefixes = load_prefix_map()
    rows = [
        (
            prefixes.compress(str(entity)) or str(entity),
            str(graph.value(entity, RDFS.label) or ""),
            prefixes.compress(str(cls)) or str(cls),
            str(graph.value(entity, OMS.unmappedReason) or "no reason recorded"),
        )
        for entity, cls in curated_entities(graph).items()
        if not is_mapped(graph, entity)
    ]
    header = "entity\tlabel\ttype\treason\n"
    return header + "".join("\t".join(row) + "\n" for row in sorted(rows))


def is_mapped(graph: Graph, entity: URIRef) -> bool:
    """True when ``entity`` has at least one SKOS mapping to an external term."""
    return any(graph.value(entity, p) is not None for p in MAPPING_PREDICATES.values())


def write_dist(built: BuiltGraph, out_dir: Path, *, validation_text: str) -> dict[Path, int]:
    """Write every export of ``built`` into ``out_dir`` atomically; return sizes in bytes."""
    graph = built.graph
    files = {
        out_dir / f"{GRAPH_NAME}.ttl": to_turtle(graph),
        out_dir / f"{GRAPH_NAME}.nt": to_ntriples(graph),
        out_dir / f"{GRAPH_NAME}.jsonld": to_jsonld(graph),
        out_dir / "unmapped.tsv": unmapped_report(graph),
        out_dir / "validation.txt": validation_text + "\n",
    }
    write_files_atomically(files)
    return {path: len(text.encode("utf-8")) for path, text in files.items()}
