"""Agreement with another source: our phenotypes of a condition against the HPO annotation of its
disease record (by default OMS against Orphanet's ORPHA:1183).

The comparison is ``queries/linked/orphanet-agreement.rq`` (how terms are classed is written
there); the findings that have no HPO term to compare are ``queries/linked/phenotypes-without-hpo.rq``.
This module runs both over a store holding the core and the HPO graphs, counts the HPO terms of
each class and writes the report of the release.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from omskg.errors import OmsError
from omskg.linked.lookalikes import HP_NAMESPACE, condition_profile
from omskg.linked.store import run_store_query, to_rdflib
from omskg.paths import project_root
from omskg.prefixes import HPO_GRAPH, OMS, load_prefix_map
from omskg.query import Table, bind_value, cell, read_query

#: The classes, in report order: each HPO term of either side lands in exactly one.
CLASSES = ("both (exact)", "ours broader", "ours narrower", "ours only", "theirs only")
DEFAULT_CONDITION = "omse:oms"
DEFAULT_DISEASE = "ORPHA:1183"
REPORT_NAME = "omskg.orphanet-agreement"


@dataclass(frozen=True)
class Agreement:
    """The comparison: one row per placed HPO term, matched term and finding (:attr:`table`), the
    number of HPO terms in each class, and our findings that could not be compared."""

    condition: str
    disease: str
    disease_label: str
    source_version: str
    table: Table
    counts: dict[str, int]
    not_compared: Table


#: Columns of the query that join several values, and their separators.
JOINED = {"ourFrequency": " | ", "theirFrequency": " | ", "elsewhere": "; ", "otherMappings": "; "}


def sort_joined(table: Table, joined: Mapping[str, str] = JOINED) -> Table:
    """``table`` with the values inside each joined cell sorted: SPARQL's ``GROUP_CONCAT`` keeps
    no order, and stores differ in the one they happen to give."""
    positions = {table.columns.index(name): sep for name, sep in joined.items() if name in table.columns}

    def fix(i: int, value: Node | None) -> Node | None:
        if i not in positions or not isinstance(value, Literal):
            return value
        return Literal(positions[i].join(sorted(str(value).split(positions[i]))))

    return Table(table.columns, tuple(tuple(fix(i, v) for i, v in enumerate(row)) for row in table.rows))


def _linked_query(name: str) -> Path:
    return project_root() / "queries" / "linked" / f"{name}.rq"


def placed_terms(table: Table) -> dict[str, str]:
    """Each HPO term of the comparison and its class: a row places its ``ourTerm`` when ``side`` is
    ``both`` or ``ours``, its ``theirTerm`` when ``side`` is ``theirs``. Raises :class:`OmsError`
    if a term is placed in two classes (the query would be wrong)."""
    column = {name: i for i, name in enumerate(table.columns)}
    classes: dict[str, str] = {}
    for row in table.rows:
        side = str(row[column["side"]])
        term = str(row[column["theirTerm" if side == "theirs" else "ourTerm"]])
        klass = str(row[column["class"]])
        if classes.setdefault(term, klass) != klass:
            raise OmsError(f"{cell(URIRef(term))} is placed in both {classes[term]!r} and {klass!r}")
    return classes


def class_counts(table: Table) -> dict[str, int]:
    """How many HPO terms land in each class of :data:`CLASSES` (zero included)."""
    found = Counter(placed_terms(table).values())
    return {klass: found.get(klass, 0) for klass in CLASSES}


def compare_with_record(
    store: ox.Store, condition: str = DEFAULT_CONDITION, disease: str = DEFAULT_DISEASE
) -> Agreement:
    """Compare our phenotypes of ``condition`` with the HPO annotation of ``disease`` (CURIEs or
    IRIs) in ``store``; raise :class:`OmsError` when either side has no HPO term to compare."""
    disease_iri = str(bind_value("_disease_iri", disease))
    condition_iri = str(bind_value("_condition_iri", condition))
    if not condition_profile(store, condition_iri):
        raise OmsError(
            f"{condition}: no phenotype of it maps to HPO (exactMatch, closeMatch or broadMatch); "
            "nothing to compare"
        )
    annotated = store.quads_for_pattern(ox.NamedNode(disease_iri), ox.NamedNode(str(OMS.hasPhenotype)), None)
    if not any(str(to_rdflib(quad.object)).startswith(HP_NAMESPACE) for quad in annotated):
        raise OmsError(
            f"{disease}: no HPO phenotype annotation of it in the store; check the identifier, and load "
            "the linked HPO graph (`omskg link`)"
        )
    params = {"_condition_iri": condition, "_disease_iri": disease}
    table = sort_joined(run_store_query(store, read_query(_linked_query("orphanet-agreement")), params))
    not_compared = sort_joined(
        run_store_query(
            store, read_query(_linked_query("phenotypes-without-hpo")), {"_condition_iri": condition}
        )
    )
    return Agreement(
        load_prefix_map().curie(str(condition_iri)),
        load_prefix_map().curie(str(disease_iri)),
        _literal(store, disease_iri, "http://www.w3.org/2000/01/rdf-schema#label"),
        _literal(store, str(HPO_GRAPH), "http://purl.org/pav/version"),
        table,
        class_counts(table),
        not_compared,
    )


def _literal(store: ox.Store, subject: str, predicate: str) -> str:
    values = store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
    return min((str(to_rdflib(quad.object)) for quad in values), default="")


TSV_COLUMNS = (
    "class",
    "side",
    "our_term",
    "our_label",
    "their_term",
    "their_label",
    "finding",
    "finding_label",
    "mapping",
    "our_frequency",
    "their_frequency",
    "elsewhere_in_our_graph",
)


def agreement_tsv(agreement: Agreement) -> str:
    """The rows as TSV with CURIEs (columns :data:`TSV_COLUMNS`)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(TSV_COLUMNS)
    writer.writerows([cell(value) for value in row] for row in agreement.table.rows)
    return out.getvalue()


def _row_text(row: dict[str, str]) -> str:
    """One row in words, for the Markdown table (a ``|`` inside a cell escaped)."""

    def term(side: str) -> str:
        return f"{row[side + 'Label']} ({row[side + 'Term']})" if row[side + "Term"] else "-"

    finding = f"{row['findingLabel']} ({row['finding']}, {row['mapping'].removeprefix('skos:')})"
    cells = [
        row["class"],
        row["side"],
        term("our"),
        finding if row["finding"] else "-",
        row["ourFrequency"] or "-",
        term("their"),
        row["theirFrequency"] or "-",
        row["elsewhere"] or "-",
    ]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def agreement_markdown(agreement: Agreement) -> str:
    """A short report: what was compared, the count of HPO terms per class, every row, and the
    findings that could not be compared."""
    rows = [dict(zip(agreement.table.columns, map(cell, r), strict=True)) for r in agreement.table.rows]
    total = sum(agreement.counts.values())
    lines = [
        f"# {agreement.condition} against {agreement.disease} ({agreement.disease_label})",
        "",
        f"Our phenotypes of {agreement.condition}, through the HPO terms they map to with exactMatch,",
        f"closeMatch or broadMatch, set against the HPO annotation of {agreement.disease}"
        + (f" (HPO release: {agreement.source_version})." if agreement.source_version else "."),
        "Every HPO term of either side is counted once: in both, or matched through the HPO",
        "hierarchy (ours broader: our term is an ancestor of theirs; ours narrower: a descendant),",
        "or on one side only. Where a term has both kinds of match, a more specific term on the",
        "other side wins, since that one implies it.",
        "",
        "| class | HPO terms |",
        "|---|---:|",
        *(f"| {klass} | {count} |" for klass, count in agreement.counts.items()),
        f"| total | {total} |",
        "",
        "Rows: one per HPO term placed, with the term of the other side it was matched with and",
        "the finding of ours behind our term; `side` says whose term the row places.",
        "",
        "| class | side | our term | our finding | our frequency | their term | their frequency "
        "| elsewhere in our graph |",
        "|---|---|---|---|---|---|---|---|",
        *(_row_text(row) for row in rows),
        "",
        "## Not compared",
        "",
    ]
    if agreement.not_compared.rows:
        lines.append(
            "These phenotypes of ours have no HPO term that holds for them, so they cannot be compared:"
        )
        lines.append("")
        for finding, label, others in agreement.not_compared.rows:
            extra = f" (only {cell(others)})" if cell(others) else " (no HPO mapping)"
            lines.append(f"- {cell(label)} ({cell(finding)}){extra}")
    else:
        lines.append("Every phenotype of ours has an HPO term to compare.")
    return "\n".join(lines) + "\n"


def summary_lines(agreement: Agreement) -> list[str]:
    """The counts per class and the findings not compared, as lines of text."""
    counts = "; ".join(f"{klass} {count}" for klass, count in agreement.counts.items())
    lines = [f"HPO terms of {agreement.condition} and {agreement.disease} per class: {counts}"]
    for finding, label, others in agreement.not_compared.rows:
        reason = f"only {cell(others)}" if cell(others) else "no HPO mapping"
        lines.append(f"not compared, no HPO term holds for it: {cell(label)} ({cell(finding)}; {reason})")
    return lines
