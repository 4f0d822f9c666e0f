"""Figures about the built graph: size, statements, evidence, mappings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef

from omskg.curation.ontology import curated_entities
from omskg.prefixes import OA, OMS, load_prefix_map
from omskg.release.rdf_writers import is_mapped


@dataclass(frozen=True)
class Stats:
    triples: int
    statements: int
    statements_with_evidence: int
    statements_in_both_documents: int
    evidence: int
    entities: int
    mapped_entities: int
    mappings_by_prefix: dict[str, int]
    statements_by_predicate: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable lines, one figure each."""
        share = self.statements_with_evidence / self.statements if self.statements else 0.0
        mapped = self.mapped_entities / self.entities if self.entities else 0.0
        out = [
            f"triples                      {self.triples}",
            f"statements                   {self.statements}",
            f"statements with evidence     {self.statements_with_evidence} ({share:.0%})",
            f"statements in both documents {self.statements_in_both_documents}",
            f"pieces of evidence           {self.evidence}",
            f"entities                     {self.entities}",
            f"entities mapped              {self.mapped_entities} ({mapped:.0%})",
            "mappings by vocabulary       "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.mappings_by_prefix.items())),
            "statements by predicate",
        ]
        out += [f"  {k:<34} {v}" for k, v in sorted(self.statements_by_predicate.items())]
        return out


def compute_stats(graph: Graph) -> Stats:
    """Count what the graph holds."""
    prefixes = load_prefix_map()
    statements = set(graph.subjects(RDF.type, OMS.Statement))
    with_evidence = {s for s in statements if graph.value(s, OMS.hasEvidence) is not None}
    both = {
        s
        for s in statements
        if len({graph.value(e, OA.hasSource) for e in graph.objects(s, OMS.hasEvidence)}) > 1
    }
    evidence = set(graph.subjects(RDF.type, OMS.Evidence))
    entities = curated_entities(graph)
    mapped = sum(1 for e in entities if is_mapped(graph, e))
    by_prefix: Counter[str] = Counter()
    for mapping in graph.subjects(RDF.type, OMS.Mapping):
        target = graph.value(mapping, RDF.object)
        curie = prefixes.compress(str(target)) if isinstance(target, URIRef) else None
        if curie:
            by_prefix[curie.split(":", 1)[0]] += 1
    by_predicate: Counter[str] = Counter(
        prefixes.compress(str(graph.value(s, RDF.predicate))) or "?" for s in statements
    )
    return Stats(
        len(graph),
        len(statements),
        len(with_evidence),
        len(both),
        len(evidence),
        len(entities),
        mapped,
        dict(by_prefix),
        dict(by_predicate),
    )
