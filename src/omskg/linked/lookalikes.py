"""Look-alike diseases: the annotated diseases whose HPO phenotype profiles most resemble a condition's.

Our profile is the set of HPO terms the condition's phenotypes map to with ``skos:exactMatch``,
``closeMatch`` or ``broadMatch`` (each of those HPO terms holds wherever our finding does);
``narrowMatch`` and ``relatedMatch`` are left out. A disease's profile is its plain
``oms:hasPhenotype`` triples in the HPO graph (aspect P, rows that assert the feature:
not negated, not Excluded, not 0 of m patients; see :func:`omskg.linked.hpo.asserted`).

The measure is Resnik similarity over the HPO hierarchy: ``sim(q, t)`` is the information
content (IC, read from the store's ``oms:informationContent``) of the most informative common
ancestor (MICA) of ``q`` and ``t``, each term counting as its own ancestor. The ranking score is
the one-sided best-match average from our profile ``Q`` to the disease's profile ``D``
(Phenomizer's query-to-disease score)::

    score(D) = 1/|Q| * sum over q in Q of  max over t in D of sim(q, t)

computed in full here, with the MICA of each of our terms. Beside it the symmetric best-match
average is given, ``bma = (score + 1/|D| * sum over t in D of max over q in Q of sim(q, t)) / 2``,
which also counts the disease's phenotypes that we do not have. Scores are ranked at four decimal
places (then by IRI), as ``queries/linked/lookalikes.rq`` does, so that summation order cannot
reorder ties.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import pyoxigraph as ox
from rdflib import RDFS, SKOS, Literal, URIRef
from rdflib.term import Node

from omskg.errors import OmsError
from omskg.prefixes import OMS, load_prefix_map
from omskg.query import Table, bind_value

HP_NAMESPACE = "http://purl.obolibrary.org/obo/HP_"
#: Phenotypic abnormality: every phenotype annotation lies below it, so "having" it keeps all diseases.
PHENOTYPIC_ABNORMALITY = HP_NAMESPACE + "0000118"
#: The mapping predicates whose HPO term holds for our finding, so that it belongs to our profile.
PROFILE_MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
COLUMNS = ("rank", "disease", "label", "score", "bma", "shared")


@dataclass
class Hierarchy:
    """The HPO hierarchy, information content and disease annotations, as read from a store."""

    parents: Mapping[str, tuple[str, ...]]
    information_content: Mapping[str, float]
    annotations: Mapping[str, frozenset[str]]
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def ancestors(self, term: str) -> frozenset[str]:
        """``term`` and every term above it."""
        known = self._ancestors.get(term)
        if known is None:
            known = frozenset({term}).union(*(self.ancestors(p) for p in self.parents.get(term, ())))
            self._ancestors[term] = known
        return known


@dataclass(frozen=True)
class SharedFeature:
    """One of our profile terms and its most informative common ancestor with a disease."""

    ours: str
    mica: str
    information_content: float


@dataclass(frozen=True)
class LookAlike:
    """A ranked disease: its score, its BMA and the MICA of each of our terms (best first)."""

    rank: int
    disease: str
    label: str
    score: float
    bma: float
    shared: tuple[SharedFeature, ...]


@dataclass(frozen=True)
class OwnRecord:
    """A disease record the condition is an exact match of, with where it would have ranked."""

    disease: str
    label: str
    score: float | None
    rank: int | None  # None when the record is not among the candidates


@dataclass(frozen=True)
class LookAlikes:
    """The ranking of diseases like a condition."""

    condition: str
    having: str
    profile: tuple[str, ...]
    candidates: int
    ranked: tuple[LookAlike, ...]
    own: tuple[OwnRecord, ...]
    labels: Mapping[str, str]


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """The IRI, blank node id or lexical form of a term."""
    if isinstance(term, ox.Triple):
        raise OmsError(f"unexpected RDF-star triple term in the store: {term}")
    return term.value


def read_hierarchy(store: ox.Store) -> Hierarchy:
    """The ``rdfs:subClassOf`` links and ``oms:informationContent`` of HPO terms, and each
    disease's HPO phenotype terms (``oms:hasPhenotype``), from every graph of ``store``."""
    parents: dict[str, list[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)), None):
        child, parent = _value(quad.subject), _value(quad.object)
        if child.startswith(HP_NAMESPACE) and parent.startswith(HP_NAMESPACE):
            parents.setdefault(child, []).append(parent)
    information = {
        _value(quad.subject): float(_value(quad.object))
        for quad in store.quads_for_pattern(None, ox.NamedNode(str(OMS.informationContent)), None)
    }
    annotations: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(OMS.hasPhenotype)), None):
        term = _value(quad.object)
        if term.startswith(HP_NAMESPACE):
            annotations.setdefault(_value(quad.subject), set()).add(term)
    if not information:
        raise OmsError(
            "the store holds no oms:informationContent of HPO terms; load the linked HPO graph "
            "(omskg.linked.store.load_linked, or `omskg link`) first"
        )
    return Hierarchy(
        {term: tuple(sorted(ps)) for term, ps in parents.items()},
        information,
        {disease: frozenset(terms) for disease, terms in annotations.items()},
    )


def _objects(store: ox.Store, subject: str, predicate: URIRef) -> Iterator[str]:
    for quad in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(str(predicate)), None):
        yield _value(quad.object)


def label_of(store: ox.Store, iri: str) -> str:
    """The ``rdfs:label`` of ``iri`` in ``store`` (the smallest, if several), else ``""``."""
    return min(_objects(store, iri, RDFS.label), default="")


def condition_profile(store: ox.Store, condition: str) -> frozenset[str]:
    """The HPO terms of the condition's phenotypes (see :data:`PROFILE_MAPPINGS`)."""
    return frozenset(
        term
        for finding in _objects(store, condition, OMS.hasPhenotype)
        for predicate in PROFILE_MAPPINGS
        for term in _objects(store, finding, predicate)
        if term.startswith(HP_NAMESPACE)
    )


class _Scorer:
    """Scores disease profiles against one profile of ours, with per-term results cached."""

    def __init__(self, hierarchy: Hierarchy, profile: Iterable[str]) -> None:
        self.hierarchy = hierarchy
        self.profile = tuple(sorted(profile))
        ic = hierarchy.information_content
        # Each of our terms' informative ancestors, most informative first (then by IRI, descending,
        # as the query's MAX over "IC IRI" text does).
        self.ranked_ancestors = {
            q: sorted(
                ((ic[a], a) for a in hierarchy.ancestors(q) if ic.get(a, 0.0) > 0),
                reverse=True,
            )
            for q in self.profile
        }
        self.informative = frozenset(a for pairs in self.ranked_ancestors.values() for _, a in pairs)
        self._reach: dict[str, frozenset[str]] = {}

    def reach(self, term: str) -> frozenset[str]:
        """The informative ancestors of our terms that ``term`` lies at or below."""
        known = self._reach.get(term)
        if known is None:
            known = self.hierarchy.ancestors(term) & self.informative
            self._reach[term] = known
        return known

    def shared(self, terms: Iterable[str]) -> tuple[SharedFeature, ...]:
        """For each of our terms, its MICA with the best of ``terms`` (none when only IC 0 is shared)."""
        reached = frozenset().union(*(self.reach(t) for t in terms))
        found = []
        for q in self.profile:
            best = next(((ic, a) for ic, a in self.ranked_ancestors[q] if a in reached), None)
            if best is not None:
                found.append(SharedFeature(q, best[1], best[0]))
        return tuple(found)

    def score(self, terms: frozenset[str]) -> tuple[float, float, tuple[SharedFeature, ...]]:
        """The one-sided score, the BMA and the shared features of a disease with ``terms``."""
        shared = self.shared(terms)
        forward = sum(f.information_content for f in shared) / len(self.profile)
        ic = self.hierarchy.information_content
        backward = sum(max((ic[a] for a in self.reach(t)), default=0.0) for t in terms) / len(terms)
        return forward, (forward + backward) / 2, shared


def rounded(score: float) -> float:
    """``score`` at four decimal places, halves rounded up (as SPARQL's ``ROUND``)."""
    return math.floor(score * 10_000 + 0.5) / 10_000


def rank_key(score: float, disease: str) -> tuple[float, str]:
    """Sort key of a disease: rounded score, descending, then IRI."""
    return -rounded(score), disease


class _Entry(NamedTuple):
    key: tuple[float, str]
    disease: str
    score: float
    bma: float
    shared: tuple[SharedFeature, ...]


def _own_record(store: ox.Store, disease: str, entry: _Entry | None, others: list[_Entry]) -> OwnRecord:
    """An own record, with its score and the rank it would have among ``others`` (if a candidate)."""
    if entry is None:
        return OwnRecord(disease, label_of(store, disease), None, None)
    rank = 1 + sum(1 for other in others if other.key < entry.key)
    return OwnRecord(disease, label_of(store, disease), entry.score, rank)


def rank_lookalikes(
    store: ox.Store,
    condition: str = "omse:oms",
    *,
    having: str | None = None,
    top: int = 10,
    hierarchy: Hierarchy | None = None,
) -> LookAlikes:
    """Rank the diseases (those annotated with ``having`` or a narrower term, if given) by how well
    they match the profile of ``condition`` (CURIE or IRI); the records the condition is an
    exact match of are left out of the ranking and reported with the rank they would have had."""
    if top < 1:
        raise OmsError(f"top must be at least 1, got {top}")
    condition_iri = str(bind_value("_condition_iri", condition))
    having_iri = str(bind_value("_having_iri", having)) if having else PHENOTYPIC_ABNORMALITY
    hierarchy = hierarchy if hierarchy is not None else read_hierarchy(store)
    profile = condition_profile(store, condition_iri)
    if not profile:
        raise OmsError(
            f"{condition}: no phenotype of it maps to HPO (exactMatch, closeMatch or broadMatch); "
            "nothing to compare"
        )
    if having_iri not in hierarchy.information_content:
        raise OmsError(f"{having}: not an HPO term annotated to any disease in the store")
    scorer = _Scorer(hierarchy, profile)
    own = set(_objects(store, condition_iri, SKOS.exactMatch)) & set(hierarchy.annotations)
    scored: list[_Entry] = []
    for disease, terms in hierarchy.annotations.items():
        if any(having_iri in hierarchy.ancestors(t) for t in terms):
            forward, bma, shared = scorer.score(terms)
            scored.append(_Entry(rank_key(forward, disease), disease, forward, bma, shared))
    scored.sort()
    others = [entry for entry in scored if entry.disease not in own]
    ranked = tuple(
        LookAlike(rank, e.disease, label_of(store, e.disease), e.score, e.bma, _by_information(e.shared))
        for rank, e in enumerate(others[:top], 1)
    )
    records = {entry.disease: entry for entry in scored if entry.disease in own}
    own_records = tuple(_own_record(store, disease, records.get(disease), others) for disease in sorted(own))
    labelled = set(profile) | {f.mica for item in ranked for f in item.shared}
    return LookAlikes(
        condition_iri,
        having_iri,
        scorer.profile,
        len(others),
        ranked,
        own_records,
        {term: label_of(store, term) for term in sorted(labelled)},
    )


def _by_information(shared: tuple[SharedFeature, ...]) -> tuple[SharedFeature, ...]:
    return tuple(sorted(shared, key=lambda f: (-f.information_content, f.mica, f.ours)))


def feature_text(result: LookAlikes, item: LookAlike, limit: int | None = None) -> str:
    """The distinct shared features of ``item``, most informative first: ``label (CURIE)``;
    with ``limit``, only that many and a count of the rest."""
    micas = list(dict.fromkeys(f.mica for f in item.shared))
    shown = micas if limit is None else micas[:limit]
    text = "; ".join(f"{result.labels.get(m, '')} ({load_prefix_map().curie(str(m))})" for m in shown)
    return text + (f"; +{len(micas) - len(shown)} more" if len(shown) < len(micas) else "")


def lookalikes_table(result: LookAlikes, *, features: int | None = None) -> Table:
    """The ranking as a table (columns :data:`COLUMNS`), scores at four decimals; ``features``
    limits the shared features shown per disease."""
    rows: list[tuple[Node | None, ...]] = [
        (
            Literal(item.rank),
            URIRef(item.disease),
            Literal(item.label),
            Literal(f"{rounded(item.score):.4f}"),
            Literal(f"{rounded(item.bma):.4f}"),
            Literal(feature_text(result, item, features)),
        )
        for item in result.ranked
    ]
    return Table(COLUMNS, tuple(rows))


def own_record_lines(result: LookAlikes) -> list[str]:
    """Sentences on the condition's own disease records: left out, and where they would rank."""
    if not result.own:
        return [
            f"{load_prefix_map().curie(str(result.condition))} is an exact match of no annotated "
            "disease record"
        ]
    lines = []
    for record in result.own:
        name = f"{load_prefix_map().curie(str(record.disease))} ({record.label})"
        if record.rank is None or record.score is None:
            lines.append(f"left out {name}, the condition's own record: not among the candidates")
        else:
            lines.append(
                f"left out {name}, the condition's own record: it would rank {record.rank} "
                f"of {result.candidates + 1} with score {rounded(record.score):.4f}"
            )
    return lines


def lookalikes_tsv(results: Iterable[LookAlikes]) -> str:
    """One row per ranked disease of each ranking: condition, having, rank, CURIE, label,
    scores and every shared feature."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(("condition", "having", *COLUMNS))
    for result in results:
        for item in result.ranked:
            writer.writerow(
                (
                    load_prefix_map().curie(str(result.condition)),
                    load_prefix_map().curie(str(result.having)),
                    item.rank,
                    load_prefix_map().curie(str(item.disease)),
                    item.label,
                    f"{rounded(item.score):.4f}",
                    f"{rounded(item.bma):.4f}",
                    feature_text(result, item),
                )
            )
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def lookalikes_markdown(results: Iterable[LookAlikes]) -> str:
    """A short report: for each ranking, our profile, the table and the own-record check."""
    lines = [
        "# Diseases that look alike",
        "",
        "Each ranking compares the HPO terms of a condition's phenotypes in this graph (mapped with",
        "exactMatch, closeMatch or broadMatch) with every annotated disease's HPO terms. For each of",
        "our terms we take the most informative HPO ancestor it shares with any of the disease's",
        "terms (Resnik similarity); the score is the mean of those information contents over our",
        "terms. BMA also averages the other way, from the disease's terms to ours, so it is lower for",
        "diseases with many phenotypes we do not have. Shared features are those common ancestors,",
        "most informative first.",
    ]
    for result in results:
        having = (
            ""
            if result.having == PHENOTYPIC_ABNORMALITY
            else f", among diseases with {load_prefix_map().curie(str(result.having))}"
        )
        lines += [
            "",
            f"## {load_prefix_map().curie(str(result.condition))}{having}",
            "",
            "Our profile: "
            + "; ".join(
                f"{result.labels.get(t, '')} ({load_prefix_map().curie(str(t))})" for t in result.profile
            )
            + f". Candidates: {result.candidates}.",
            "",
            "| rank | disease | label | score | BMA | shared features |",
            "|---:|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {item.rank} | {load_prefix_map().curie(str(item.disease))} | {_cell(item.label)} "
            f"| {rounded(item.score):.4f} "
            f"| {rounded(item.bma):.4f} | {_cell(feature_text(result, item, 6))} |"
            for item in result.ranked
        ]
        lines += ["", *(f"{line[0].upper()}{line[1:]}." for line in own_record_lines(result))]
    return "\n".join(lines) + "\n"


#: The rankings of the release report: OMS among all diseases, myoclonus among myoclonic ones.
REPORT_RANKINGS = (("omse:oms", None), ("omse:myoclonus", "HP:0001336"))
