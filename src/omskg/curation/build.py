"""Turn the ontology and the curated records into one RDF graph.

Each statement record becomes a plain triple (for simple queries) and a statement
node (``oms:Statement``, an ``rdf:Statement``) carrying its qualifiers and its
evidence: the document, a Web Annotation text-position selector with the
character offsets, and an ECO evidence code. Statement IRIs are derived from the
statement's content, so the same fact keeps its IRI from release to release, and
two records of the same fact (one per document, say) merge into one node with
two pieces of evidence.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from omskg.curation.anchoring import Quote
from omskg.curation.ontology import Vocabulary, load_ontology
from omskg.curation.records import DEFINITION, Clause, CuratedData, Evidence, Located, Statement, load_curated
from omskg.errors import DataError, Problem
from omskg.paths import project_root
from omskg.prefixes import (
    BIBO,
    IAO,
    OA,
    OBOINOWL,
    OMS,
    OMSE,
    OMSEV,
    OMSM,
    OMSS,
    SCHEMA,
    SEMAPV,
    PrefixMap,
    load_prefix_map,
)

MAPPING_PREDICATES = {
    "exact": SKOS.exactMatch,
    "close": SKOS.closeMatch,
    "broad": SKOS.broadMatch,
    "narrow": SKOS.narrowMatch,
    "related": SKOS.relatedMatch,
}
# Reused annotation properties a statement may use with a literal value.
LITERAL_PREDICATES = {
    "IAO:0000115",
    "oboInOwl:hasExactSynonym",
    "oboInOwl:hasRelatedSynonym",
    "oboInOwl:hasBroadSynonym",
    "oboInOwl:hasNarrowSynonym",
}
REFERENCE_TYPES = {"article": BIBO.AcademicArticle, "chapter": BIBO.Chapter, "book": BIBO.Book}
# Typed literals are made with normalize=False: rdflib would otherwise rewrite the curated
# lexical form (PT36H becomes P1DT12H, 007 becomes 7), and the data must say what was curated.
# xsd:duration (XML Schema 1.1): ISO 8601 without weeks, so 20 weeks is P140D, not P20W.
_DURATION = re.compile(r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?")
#: A curated record id (docs/data-model.md): lower-case letters and digits, single hyphens between.
RECORD_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# Hedges: inside a clause they qualify that clause alone (docs/data-model.md, "Hedges").
HEDGES = {"quantifier", "certainty"}
# Each kind of clause: the link from the statement, the clause's class, the qualifiers it may
# hold besides hedges, and the statement relations it may belong to (None: any).
CLAUSES: dict[str, tuple[URIRef, URIRef, set[str], set[str] | None]] = {
    "effects": (
        OMS.hasEffect,
        OMS.TreatmentEffect,
        {
            "benefitOnset",
            "benefitDurationMin",
            "benefitDurationMax",
            "approximate",
            "effective",
            "targetFinding",
            "therapeuticGoal",
            "population",
        },
        {"hasTreatment"},
    ),
    "restrictions": (
        OMS.hasRestriction,
        OMS.Restriction,
        {"population", "onset", "sex", "severity", "applicableWhen"},
        None,
    ),
}
# Qualifiers that describe what a treatment does, so they never sit on the statement itself,
# where a hedge of the statement would read as theirs.
EFFECT_ONLY = {"benefitOnset", "benefitDurationMin", "benefitDurationMax", "effective"}


@dataclass
class BuiltGraph:
    """The built graph with, for each node made from a record, the file and line of that record."""

    graph: Graph
    origins: dict[URIRef, str] = field(default_factory=dict)
    statements: int = 0

    def origin(self, node: Node) -> str:
        """``file:line`` of the record behind ``node``, or '' when it comes from the ontology."""
        return self.origins.get(node, "") if isinstance(node, URIRef) else ""


def build_graph(root: Path | None = None, *, data_dir: Path | None = None) -> BuiltGraph:
    """Build the whole graph (ontology and curated data) of the project at ``root``.

    Raises :class:`omskg.errors.DataError` listing every problem found in the records.

    >>> built = build_graph()
    >>> from rdflib import URIRef
    >>> str(built.graph.value(URIRef("https://w3id.org/omskg/entity/oms"), RDFS.label))
    'opsoclonus-myoclonus syndrome'
    """
    root = root or project_root()
    prefixes = load_prefix_map(root)
    ontology = load_ontology(root)
    curated = load_curated(data_dir or root / "data", root=root)
    builder = _Builder(prefixes, Vocabulary.from_graph(ontology), curated)
    builder.graph += ontology
    builder.add_all()
    if builder.problems:
        raise DataError(builder.problems)
    prefixes.bind(builder.graph)
    return BuiltGraph(builder.graph, builder.origins, len(builder.statement_nodes))


class _Builder:
    def __init__(self, prefixes: PrefixMap, vocab: Vocabulary, curated: CuratedData) -> None:
        self.prefixes = prefixes
        self.vocab = vocab
        self.curated = curated
        self.graph = Graph()
        self.origins: dict[URIRef, str] = {}
        self.problems: list[Problem] = []
        self.statement_nodes: set[URIRef] = set()

    # -- helpers -------------------------------------------------------------

    def problem(self, record: Located | Statement, term: object, message: str) -> None:
        self.problems.append(Problem(record.file, record.line, str(term), message))

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.graph.add((s, p, o))

    def curie(self, record: Located | Statement, curie: str) -> URIRef | None:
        problem = self.prefixes.pattern_problem(curie)
        if problem:
            self.problem(record, curie, problem)
            return None
        return URIRef(self.prefixes.expand(curie))

    def term(self, record: Located | Statement, value: object) -> URIRef | None:
        """Resolve a CURIE, a record id or an ontology value name to an IRI."""
        if not isinstance(value, str):
            self.problem(record, value, "expected an id, a CURIE or a value name")
            return None
        if ":" in value:
            return self.curie(record, value)
        if value in self.curated.records:
            return OMSE[value]
        if value in self.vocab.values:
            return OMS[value]
        self.problem(record, value, "unknown term: not a record id, an ontology value or a CURIE")
        return None

    def literal(
        self, record: Located | Statement, value: object, datatype: URIRef, name: str
    ) -> Literal | None:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        checks = {
            XSD.duration: lambda: _DURATION.fullmatch(text) is not None,
            XSD.boolean: lambda: text in {"true", "false"},
            XSD.decimal: lambda: re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text) is not None,
            XSD.nonNegativeInteger: lambda: text.isdigit(),
        }
        if datatype in checks and not checks[datatype]():
            self.problem(record, value, f"{name} needs an {self.prefixes.compress(datatype)} value")
            return None
        if datatype == XSD.string:
            return Literal(text, lang="en")
        return Literal(text, datatype=datatype, normalize=False)

    def text(self, node: URIRef, prop: URIRef, values: Iterable[object] | object) -> None:
        items = values if isinstance(values, list) else [values]
        for item in items:
            if item not in (None, ""):
                self.add(node, prop, Literal(str(item).strip(), lang="en"))

    # -- records -------------------------------------------------------------

    def add_all(self) -> None:
        for ident, record in self.curated.records.items():
            if not RECORD_ID.fullmatch(ident):
                self.problem(record, ident, "ids are lower-case words joined by hyphens")
                continue
            node = OMSE[ident]
            self.origins[node] = f"{record.file}:{record.line}"
            kind = self.curated.kinds[ident]
            getattr(self, f"add_{kind}")(node, record)
        built = [statement for statement in self.curated.statements if self.add_statement(statement)]
        self.check_copies(built)

    def check_copies(self, statements: list[Statement]) -> None:
        """Refuse a record that repeats another's fact from the same document with fewer qualifiers.

        Such a copy reads as the fact stated outright beside its qualified form (an unqualified
        "medication triggers OMS" next to "rarely"); docs/data-model.md, "One fact, one record".
        """
        seen: dict[tuple[str, str, str], list[tuple[Statement, frozenset[str]]]] = {}
        for st in statements:
            key = (st.subject, st.predicate, repr(st.object))
            details = frozenset(
                [f"{name}={value!r}" for name, values in st.qualifiers.items() for value in values]
                + [f"{c.kind}:{sorted(c.qualifiers.items())!r}" for c in st.clauses]
            )
            documents = {item.source for item in st.evidence}
            for other, other_details in seen.get(key, []):
                shared = documents & {item.source for item in other.evidence}
                if shared and (details <= other_details or other_details <= details):
                    fewer, more = (st, other) if details <= other_details else (other, st)
                    self.problem(
                        fewer,
                        f"{st.subject} {st.predicate} {st.object}",
                        f"repeats the fact of {more.file}:{more.line} from {', '.join(sorted(shared))} "
                        "with no qualifier of its own: merge the evidence into one record, or give each "
                        "record the qualifiers its passage states",
                    )
            seen.setdefault(key, []).append((st, details))

    def add_entity(self, node: URIRef, record: Located) -> None:
        cls = record.get("type")
        if cls not in self.vocab.entity_classes:
            known = ", ".join(sorted(self.vocab.entity_classes))
            self.problem(record, cls, f"unknown entity type; use one of: {known}")
        else:
            self.add(node, RDF.type, OMS[cls])
        self.text(node, RDFS.label, record.get("label"))
        self.text(node, IAO["0000115"], record.get("definition"))
        self.text(node, OBOINOWL.hasExactSynonym, record.get("synonyms") or [])
        self.text(node, OBOINOWL.hasRelatedSynonym, record.get("related_synonyms") or [])
        self.text(node, SKOS.hiddenLabel, record.get("spellings") or [])
        self.text(node, OMS.unmappedReason, record.get("unmapped"))
        for mapping in record.get("mappings") or []:
            if not isinstance(mapping, Located):
                self.problem(record, mapping, "a mapping needs `id`, `predicate`, `label` and `source`")
                continue
            self.add_mapping(node, mapping)

    def add_mapping(self, node: URIRef, mapping: Located) -> None:
        predicate = MAPPING_PREDICATES.get(str(mapping.get("predicate")))
        if predicate is None:
            allowed = ", ".join(MAPPING_PREDICATES)
            self.problem(mapping, mapping.get("predicate"), f"mapping predicate must be one of {allowed}")
            return
        target = self.curie(mapping, str(mapping.get("id", "")))
        if target is None:
            return
        self.add(node, predicate, target)
        digest = _digest([node, predicate, target])
        mapping_node = OMSM[digest]
        self.origins[mapping_node] = f"{mapping.file}:{mapping.line}"
        self.add(mapping_node, RDF.type, OMS.Mapping)
        self.add(mapping_node, RDF.subject, node)
        self.add(mapping_node, RDF.predicate, predicate)
        self.add(mapping_node, RDF.object, target)
        self.add(mapping_node, OMS.mappingJustification, SEMAPV.ManualMappingCuration)
        self.text(mapping_node, OMS.objectLabel, mapping.get("label"))
        self.text(mapping_node, OMS.mappingSource, mapping.get("source"))

    def add_source(self, node: URIRef, record: Located) -> None:
        missing = [key for key in SOURCE_METADATA if not str(record.get(key) or "").strip()]
        if missing:
            self.problem(
                record,
                record.get("id"),
                f"a source document needs {', '.join(f'`{key}`' for key in missing)}, so that a reader "
                "can find the same text (write what the text does not state as not stated)",
            )
        self.add(node, RDF.type, OMS.SourceDocument)
        self.text(node, RDFS.label, record.get("title"))
        self.text(node, DCTERMS.title, record.get("title"))
        self.text(node, DCTERMS.creator, record.get("creator"))
        self.text(node, DCTERMS.publisher, record.get("publisher"))
        self.text(node, DCTERMS.description, record.get("description"))
        self.text(node, DCTERMS.bibliographicCitation, _source_citation(record))
        self.add(node, OMS.sha256, Literal(str(record.get("sha256", ""))))
        self.add(node, OMS.fileName, Literal(str(record.get("file", ""))))
        count = record.get("characters")
        if isinstance(count, int):
            self.add(node, OMS.characterCount, Literal(count, datatype=XSD.nonNegativeInteger))
        else:
            self.problem(record, record.get("id"), "`characters` must be the document's length")

    def add_reference(self, node: URIRef, record: Located) -> None:
        self.add(node, RDF.type, OMS.Reference)
        kind = REFERENCE_TYPES.get(str(record.get("type")))
        if kind is None:
            self.problem(record, record.get("type"), f"type must be one of {', '.join(REFERENCE_TYPES)}")
        else:
            self.add(node, RDF.type, kind)
        authors = record.get("authors") or []
        self.text(node, RDFS.label, _citation_label(authors, record))
        self.text(node, DCTERMS.title, record.get("title"))
        self.text(node, DCTERMS.creator, authors)
        self.text(node, DCTERMS.contributor, record.get("editors") or [])
        self.text(node, OMS.publishedIn, record.get("container"))
        self.text(node, DCTERMS.publisher, record.get("publisher"))
        self.text(node, OMS.placeOfPublication, record.get("place"))
        for key, prop in (("volume", BIBO.volume), ("issue", BIBO.issue), ("pages", BIBO.pages)):
            if record.get(key) is not None:
                self.add(node, prop, Literal(str(record[key])))
        pages = str(record.get("pages") or "")
        if "-" in pages:
            first, last = pages.split("-", 1)
            for prop, page in ((BIBO.pageStart, first), (BIBO.pageEnd, last)):
                kind = XSD.nonNegativeInteger if page.isdigit() else XSD.string
                self.add(node, prop, Literal(page, datatype=kind, normalize=False))
        issued = str(record.get("date") or "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", issued):
            self.add(node, DCTERMS.issued, Literal(issued, datatype=XSD.date, normalize=False))
        elif re.fullmatch(r"\d{4}", issued):
            self.add(node, DCTERMS.issued, Literal(issued, datatype=XSD.gYear, normalize=False))
        else:
            self.problem(record, issued, "date must be YYYY or YYYY-MM-DD")

    def add_organisation(self, node: URIRef, record: Located) -> None:
        self.add(node, RDF.type, OMS.Organisation)
        self.text(node, RDFS.label, record.get("label"))
        self.text(node, IAO["0000115"], record.get("definition"))
        self.text(node, OMS.unmappedReason, record.get("unmapped"))
        self.text(node, OMS.curationNote, record.get("note"))
        address = OMSE[f"{record['id']}-address"]
        self.origins[address] = f"{record.file}:{record.line}"
        fields = {
            "street": SCHEMA.streetAddress,
            "locality": SCHEMA.addressLocality,
            "region": SCHEMA.addressRegion,
            "postal_code": SCHEMA.postalCode,
            "country": SCHEMA.addressCountry,
        }
        parts = record.get("address") or {}
        if parts:
            self.add(node, SCHEMA.address, address)
            self.add(address, RDF.type, SCHEMA.PostalAddress)
            for key, prop in fields.items():
                if key in parts:
                    self.add(address, prop, Literal(str(parts[key])))
        for key, prop in (("telephone", SCHEMA.telephone), ("fax", SCHEMA.faxNumber)):
            if key in record:
                self.add(node, prop, Literal(str(record[key])))
        if "url" in record:
            self.add(node, SCHEMA.url, URIRef(str(record["url"])))

    # -- statements ----------------------------------------------------------

    def add_statement(self, st: Statement) -> bool:
        """Add the statement's triples; False (with the problems recorded) when the record is broken."""
        subject = self.term(st, st.subject)
        predicate, obj = self.predicate_and_object(st)
        qualifiers = self.qualifiers(st, st.qualifiers)
        for name in sorted(EFFECT_ONLY & set(st.qualifiers)):
            self.problem(
                st, name, "describes the treatment's effect: give it under `effects`, with its own hedge"
            )
        clauses = [(clause, self.qualifiers(st, clause.qualifiers)) for clause in st.clauses]
        for clause, _ in clauses:
            self.check_clause(st, clause)
        if not st.evidence:
            self.problem(st, st.subject, "statement has no evidence; cite the passage by offsets")
        evidence = [self.evidence(st, item) for item in st.evidence]
        if subject is None or predicate is None or obj is None or None in evidence:
            return False
        self.add(subject, predicate, obj)
        clause_keys = sorted(f"{c.kind} {_qualifier_key(q)}" for c, q in clauses)
        qualifier_keys = sorted(f"{p.n3()} {v.n3()}" for p, v in qualifiers)
        digest = _digest([subject, predicate, obj, *qualifier_keys, *clause_keys])
        node = OMSS[digest]
        self.statement_nodes.add(node)
        self.origins.setdefault(node, f"{st.file}:{st.line}")
        self.add(node, RDF.type, OMS.Statement)
        self.add(node, RDF.subject, subject)
        self.add(node, RDF.predicate, predicate)
        self.add(node, RDF.object, obj)
        for prop, value in qualifiers:
            self.add(node, prop, value)
        for clause, clause_qualifiers in clauses:
            link, cls, _, _ = CLAUSES[clause.kind]
            clause_node = OMSS[
                f"{digest}.{clause.kind[:-1]}-{_digest([_qualifier_key(clause_qualifiers)])[:8]}"
            ]
            self.add(node, link, clause_node)
            self.add(clause_node, RDF.type, cls)
            for prop, value in clause_qualifiers:
                self.add(clause_node, prop, value)
        if st.note:
            self.text(node, OMS.curationNote, st.note)
        for item in st.evidence:
            self.add_evidence(node, digest, item)
        return True

    def predicate_and_object(self, st: Statement) -> tuple[URIRef | None, Node | None]:
        name = st.predicate
        if name in self.vocab.relations:
            if st.is_value:
                self.problem(st, name, "this relation takes an `object`, not a `value`")
                return None, None
            return OMS[name], self.term(st, st.object)
        if name in self.vocab.attributes:
            if not st.is_value:
                self.problem(st, name, "this attribute takes a `value`, not an `object`")
                return None, None
            return OMS[name], self.literal(st, st.object, self.vocab.attributes[name], name)
        if name in LITERAL_PREDICATES and st.is_value:
            value = st.object
            if name == DEFINITION and value is None:
                record = self.curated.records.get(st.subject)
                value = record.get("definition") if record is not None else None
                if not value:
                    self.problem(st, st.subject, "definition statement, but the entity has none")
                    return None, None
            return self.curie(st, name), Literal(str(value).strip(), lang="en")
        self.problem(st, name, "unknown predicate: use a relation or attribute of the ontology")
        return None, None

    def check_clause(self, st: Statement, clause: Clause) -> None:
        _, _, allowed, relations = CLAUSES[clause.kind]
        for name in sorted(set(clause.qualifiers) - allowed - HEDGES):
            self.problem(
                st,
                name,
                f"not a qualifier of `{clause.kind}`; use one of: {', '.join(sorted(allowed | HEDGES))}",
            )
        if not set(clause.qualifiers) - HEDGES:
            self.problem(
                st, clause.kind, "a clause needs something to hedge besides its quantifier or certainty"
            )
        if relations is not None and st.predicate not in relations:
            self.problem(
                st, clause.kind, f"only statements with {', '.join(sorted(relations))} have `{clause.kind}`"
            )

    def qualifiers(self, st: Statement, given: dict[str, list[Any]]) -> list[tuple[URIRef, Node]]:
        result: list[tuple[URIRef, Node]] = []
        for name, values in given.items():
            if name not in self.vocab.qualifiers:
                self.problem(st, name, "unknown qualifier: use a sub-property of oms:qualifier")
                continue
            rng = self.vocab.qualifiers[name]
            for value in values:
                node: Node | None
                if self.vocab.is_literal_qualifier(name):
                    assert rng is not None
                    node = self.literal(st, value, rng, name)
                else:
                    node = self.term(st, value)
                if node is not None:
                    result.append((OMS[name], node))
        return result

    def evidence(self, st: Statement, item: Evidence) -> Evidence | None:
        source = self.curated.records.get(item.source)
        if source is None or self.curated.kinds[item.source] != "source":
            self.problem(st, item.source, "evidence names an unknown source document")
            return None
        length = source.get("characters")
        ok = isinstance(item.start, int) and isinstance(item.end, int)
        if not ok or not (0 <= item.start < item.end <= int(length or 0)):
            self.problem(
                st,
                f"{item.start}-{item.end}",
                f"offsets out of range: need 0 <= start < end <= {length} ({item.source})",
            )
            return None
        if item.code is not None and self.curie(st, item.code) is None:
            return None
        problem = item.quote.problem() if item.quote is not None else None
        if problem:
            self.problem(st, f"{item.source} {item.start}-{item.end}", problem)
            return None
        return item

    def add_evidence(self, statement: URIRef, digest: str, item: Evidence) -> None:
        local = f"{digest}.{item.source}.{item.start}-{item.end}"
        node, selector = OMSEV[local], OMSEV[f"{local}.selector"]
        code = item.code or str(self.curated.records[item.source].get("evidence_code"))
        self.add(statement, OMS.hasEvidence, node)
        self.add(node, RDF.type, OMS.Evidence)
        self.add(node, OA.hasSource, OMSE[item.source])
        self.add(node, OA.hasSelector, selector)
        self.add(node, OMS.evidenceCode, URIRef(self.prefixes.expand(code)))
        self.add(selector, RDF.type, OA.TextPositionSelector)
        self.add(selector, OA.start, Literal(item.start, datatype=XSD.nonNegativeInteger))
        self.add(selector, OA.end, Literal(item.end, datatype=XSD.nonNegativeInteger))
        if item.quote is not None:
            self.add_quote(node, OMSEV[f"{local}.quote"], item.quote)

    def add_quote(self, evidence: URIRef, node: URIRef, quote: Quote) -> None:
        """The quote as a W3C ``RangeSelector`` from a ``TextQuoteSelector`` on the passage's
        first words (with the words before them) to one on its last words (with the words
        after them): the second way to find the passage, in a copy whose offsets differ."""
        start, end = URIRef(f"{node}-start"), URIRef(f"{node}-end")
        self.add(evidence, OA.hasSelector, node)
        self.add(node, RDF.type, OA.RangeSelector)
        self.add(node, OA.hasStartSelector, start)
        self.add(node, OA.hasEndSelector, end)
        for part, prefix, exact, suffix in (
            (start, quote.before, quote.first, ""),
            (end, "", quote.last, quote.after),
        ):
            self.add(part, RDF.type, OA.TextQuoteSelector)
            self.add(part, OA.exact, Literal(exact))
            if prefix:
                self.add(part, OA.prefix, Literal(prefix))
            if suffix:
                self.add(part, OA.suffix, Literal(suffix))


def _digest(parts: list[Any]) -> str:
    """A short content hash: the same parts always give the same id."""
    text = "\x1f".join(p.n3() if isinstance(p, Node) else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _qualifier_key(qualifiers: list[tuple[URIRef, Node]]) -> str:
    """The qualifiers as one sorted string, for content hashes."""
    return " ".join(sorted(f"{p.n3()} {v.n3()}" for p, v in qualifiers))


#: What each source record must say of its document: enough for a reader to find the same text.
SOURCE_METADATA = ("title", "creator", "publisher", "published")


def _source_citation(record: Located) -> str:
    """How a reader finds the document: author, title, publisher, where and when it appeared
    (as far as the text says), and the length and digest of the exact text cited."""
    parts = [record.get("creator"), record.get("title"), record.get("publisher"), record.get("published")]
    found = ". ".join(str(p).strip().rstrip(".") for p in parts if p)
    return f"{found}. {record.get('characters')} characters, SHA-256 {record.get('sha256')}."


def _citation_label(authors: list[str], record: Located) -> str:
    first = authors[0].split(",")[0] if authors else "Anonymous"
    more = " et al." if len(authors) > 1 else ""
    year = str(record.get("date") or "")[:4]
    return f"{first}{more} ({year}) {record.get('title', '')}".strip()
