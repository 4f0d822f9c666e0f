"""Release metadata: a W3C HCLS dataset description of the built graph, with VoID figures.

The description follows the three levels of the HCLS community profile
(https://www.w3.org/TR/hcls-dataset/):

- summary level: the dataset whatever its version (``dctypes:Dataset``, no version facts);
- version level: this release, ``dct:isVersionOf`` the summary, with ``pav:version``, issue
  date, creators, licence, the source documents (``dct:source``, each with its SHA-256 as an
  SPDX checksum) and its files (``dcat:distribution``);
- distribution level: one per file, with format, download URL, size and SHA-256 checksum.
  Files holding RDF are also typed ``void:Dataset`` and carry VoID figures; files holding the
  whole graph also carry class and property partitions and one linkset per external vocabulary.

The release facts are data (``data/release.yaml``, read by
:mod:`omskg.release.config`). Every node has an IRI under the
release (no blank nodes), so the same input gives the same graph and releases diff well.
``void:distinctObjects`` counts literals too, as the VoID vocabulary defines it.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV
from rdflib.term import Node

from omskg.curation.build import MAPPING_PREDICATES
from omskg.curation.validate import Report, validate
from omskg.errors import OmsError
from omskg.paths import project_root
from omskg.prefixes import DCAT, DCTYPES, IDOT, OMS, PAV, SPDX, VOID, PrefixMap, load_prefix_map
from omskg.release.config import (
    IANA_MEDIA_TYPES,
    RELEASE_FILE,
    FileFormat,
    FileRule,
    Release,
    load_release,
    template_words,
)

SHAPES_FILE = "ontology/shapes/hcls-shapes.ttl"


# ---------------------------------------------------------------- VoID figures


@dataclass(frozen=True)
class VoidStatistics:
    """VoID figures of one graph.

    ``entities`` counts IRIs that have a type (HCLS: ``?s a []``); ``classes`` the distinct
    types; ``distinct_objects`` counts IRIs, blank nodes and literals in object position.
    """

    triples: int
    entities: int
    classes: int
    properties: int
    distinct_subjects: int
    distinct_objects: int
    class_entities: dict[URIRef, int]
    property_triples: dict[URIRef, int]


def void_statistics(graph: Graph) -> VoidStatistics:
    """Count the VoID figures of ``graph``.

    >>> g = Graph()
    >>> _ = g.add((URIRef("urn:a"), RDF.type, URIRef("urn:C")))
    >>> _ = g.add((URIRef("urn:a"), URIRef("urn:p"), Literal("x")))
    >>> s = void_statistics(g)
    >>> (s.triples, s.entities, s.classes, s.properties, s.distinct_subjects, s.distinct_objects)
    (2, 1, 1, 2, 1, 2)
    """
    subjects: set[Node] = set()
    objects: set[Node] = set()
    properties: Counter[Node] = Counter()
    members: defaultdict[Node, set[Node]] = defaultdict(set)
    for s, p, o in graph:
        subjects.add(s)
        objects.add(o)
        properties[p] += 1
        if p == RDF.type:
            members[o].add(s)
    typed_iris = {s for group in members.values() for s in group if isinstance(s, URIRef)}
    return VoidStatistics(
        triples=len(graph),
        entities=len(typed_iris),
        classes=len(members),
        properties=len(properties),
        distinct_subjects=len(subjects),
        distinct_objects=len(objects),
        class_entities={
            c: sum(isinstance(s, URIRef) for s in group)
            for c, group in members.items()
            if isinstance(c, URIRef)
        },
        property_triples={p: n for p, n in properties.items() if isinstance(p, URIRef)},
    )


def vocabularies(graph: Graph, prefixes: PrefixMap) -> list[URIRef]:
    """The namespaces (from the prefix map) of the properties and classes ``graph`` uses."""
    terms = set(graph.predicates()) | set(graph.objects(None, RDF.type))
    found = set()
    for term in terms:
        curie = prefixes.compress(str(term))
        if curie:
            found.add(URIRef(prefixes.uri_prefixes[curie.split(":", 1)[0]]))
    return sorted(found)


def linkset_counts(graph: Graph, prefixes: PrefixMap) -> dict[str, Counter[URIRef]]:
    """SKOS mapping triples to external vocabularies: prefix -> mapping predicate -> triples.

    A target in one of the project's own namespaces is not a link to another dataset and is
    left out; a target that no prefix of the prefix map covers raises :class:`OmsError`.
    """
    counts: defaultdict[str, Counter[URIRef]] = defaultdict(Counter)
    for predicate in MAPPING_PREDICATES.values():
        for _, target in graph.subject_objects(predicate):
            if not isinstance(target, URIRef):
                continue
            curie = prefixes.compress(str(target))
            if curie is None:
                raise OmsError(f"mapping target <{target}> is in no vocabulary of ontology/prefixes.csv")
            prefix = curie.split(":", 1)[0]
            if prefixes.kinds.get(prefix) != "project":
                counts[prefix][URIRef(predicate)] += 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------- the description


def describe_dataset(graph: Graph, distributions: Mapping[str, bytes], root: Path | None = None) -> Graph:
    """The HCLS description (summary, version, distribution levels) of ``graph`` as released
    in ``distributions`` (file name, relative to the release folder -> the file's bytes).

    Files whose rule in ``data/release.yaml`` says ``content: graph`` must serialise
    ``graph``: their VoID figures, partitions and linksets are computed from ``graph``.
    Files with ``content: part`` are parsed and their own figures counted.
    """
    release = load_release(root)
    prefixes = load_prefix_map(root)
    describer = _Describer(release, prefixes, graph)
    describer.summary()
    describer.version()
    describer.agents()
    describer.sources()
    for name in sorted(distributions):
        describer.distribution(name, distributions[name])
    describer.graph_figures()
    return describer.out


class _Describer:
    def __init__(self, release: Release, prefixes: PrefixMap, graph: Graph) -> None:
        self.release = release
        self.prefixes = prefixes
        self.graph = graph
        self.out = prefixes.bind(Graph())
        self.source_docs = sorted(
            s for s in graph.subjects(RDF.type, OMS.SourceDocument) if isinstance(s, URIRef)
        )
        self.graph_files: list[URIRef] = []

    def add(self, subject: Node, predicate: Node, *objects: Node) -> None:
        for obj in objects:
            self.out.add((subject, predicate, obj))

    def en(self, text: str) -> Literal:
        return Literal(text, lang="en")

    # -- levels --------------------------------------------------------------

    def summary(self) -> None:
        r, node = self.release, self.release.summary
        self.add(node, RDF.type, DCTYPES.Dataset)
        self.add(node, DCTERMS.title, self.en(r.title))
        self.add(node, DCTERMS.description, self.en(r.description))
        self.add(node, DCTERMS.publisher, r.agents[r.publisher][0])
        self.add(node, DCTERMS.license, r.licence)
        self.add(node, FOAF.page, r.landing_page)
        self.add(node, DCTERMS.accrualPeriodicity, r.accrual_periodicity)
        self.add(node, DCAT.keyword, *(Literal(k) for k in r.keywords))
        self.add(node, PAV.hasCurrentVersion, r.version_iri)

    def version(self) -> None:
        r, node = self.release, self.release.version_iri
        self.add(node, RDF.type, DCTYPES.Dataset)
        self.add(node, DCTERMS.title, self.en(f"{r.title} {r.version}"))
        self.add(node, DCTERMS.description, self.en(r.description))
        self.add(node, DCTERMS.isVersionOf, r.summary)
        self.add(node, PAV.version, Literal(r.version))
        if r.previous_version:
            self.add(node, PAV.previousVersion, URIRef(f"{r.release_base}{r.previous_version}"))
        self.add(node, DCAT.landingPage, r.landing_page)
        self.add(node, DCTERMS.rights, self.en(r.rights))
        self.common(node)
        self.add(node, PROV.wasDerivedFrom, *self.source_docs)

    def common(self, node: URIRef) -> None:
        """What the version and every distribution state alike."""
        r = self.release
        self.add(node, DCTERMS.issued, Literal(r.issued))
        self.add(node, DCTERMS.creator, *(r.agents[c][0] for c in r.creators))
        self.add(node, DCTERMS.publisher, r.agents[r.publisher][0])
        self.add(node, DCTERMS.license, r.licence)
        self.add(node, DCTERMS.language, r.language)
        self.add(node, FOAF.page, r.landing_page)
        self.add(node, DCTERMS.source, *self.source_docs)

    def agents(self) -> None:
        for iri, name in self.release.agents.values():
            self.add(iri, RDF.type, FOAF.Agent)
            self.add(iri, FOAF.name, Literal(name))

    def sources(self) -> None:
        """The source documents: title, author, publisher and the citation that finds them, and
        the SHA-256 (from the graph) as an SPDX checksum."""
        for doc in self.source_docs:
            digest = self.graph.value(doc, OMS.sha256)
            if digest is None:
                raise OmsError(f"source document <{doc}> has no oms:sha256 in the graph")
            local = (self.prefixes.curie(str(doc))).split(":", 1)[-1]
            self.add(doc, RDF.type, DCTYPES.Text)
            for prop in (DCTERMS.title, DCTERMS.creator, DCTERMS.publisher, DCTERMS.bibliographicCitation):
                self.add(doc, prop, *self.graph.objects(doc, prop))
            self.checksum(doc, self.release.iri("source", local, "checksum"), str(digest))

    def checksum(self, subject: URIRef, node: URIRef, hex_digest: str) -> None:
        self.add(subject, SPDX.checksum, node)
        self.add(node, RDF.type, SPDX.Checksum)
        self.add(node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
        self.add(node, SPDX.checksumValue, Literal(hex_digest.lower(), datatype=XSD.hexBinary))

    def distribution(self, name: str, data: bytes) -> None:
        r = self.release
        fmt, rule = r.file_format(name), r.file_rule(name)
        if rule.content != "other" and not fmt.rdf:
            raise OmsError(
                f"{RELEASE_FILE}: {name!r} is said to hold RDF but {fmt.ending} is not an RDF format"
            )
        node = r.iri("distribution", name)
        self.add(r.version_iri, DCAT.distribution, node)
        self.add(node, RDF.type, DCAT.Distribution, DCTYPES.Dataset)
        self.labels(node, name, fmt, rule)
        self.add(node, PAV.version, Literal(r.version))
        self.common(node)
        self.file_facts(node, name, data, fmt)
        if rule.content == "graph":
            self.graph_files.append(node)
            self.add(node, DCTERMS.conformsTo, *r.graph_conforms_to)
            self.rdf_facts(node, name, self.graph)
        elif rule.content == "part":
            self.rdf_facts(node, name, _parse(name, data, fmt))

    def labels(self, node: URIRef, name: str, fmt: FileFormat, rule: FileRule) -> None:
        """Title and description of a file, from the templates of its rule."""
        words = template_words(self.release.version, name, fmt.label)
        self.add(node, DCTERMS.title, self.en(rule.title.format(**words)))
        self.add(node, DCTERMS.description, self.en(rule.description.format(**words)))

    def file_facts(self, node: URIRef, name: str, data: bytes, fmt: FileFormat) -> None:
        """Format, media type, download URL, size and SHA-256 of one file."""
        if fmt.w3c:
            self.add(node, DCTERMS.format, URIRef(fmt.w3c))
        self.add(node, DCTERMS.format, Literal(fmt.media_type))
        self.add(node, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + fmt.media_type))
        if fmt.standard:
            self.add(node, DCTERMS.conformsTo, URIRef(fmt.standard))
        self.add(node, DCAT.downloadURL, self.release.download_url(name))
        self.add(node, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger))
        self.checksum(node, URIRef(f"{node}/checksum"), hashlib.sha256(data).hexdigest())

    def rdf_facts(self, node: URIRef, name: str, content: Graph) -> None:
        """The void:Dataset facts of an RDF file: dump, vocabularies, example and the figures."""
        self.add(node, RDF.type, VOID.Dataset)
        self.add(node, VOID.dataDump, self.release.download_url(name))
        self.add(node, VOID.vocabulary, *vocabularies(content, self.prefixes))
        example = self.example(content)
        if example is not None:
            self.add(node, VOID.exampleResource, example)
            curie = self.prefixes.compress(str(example))
            self.add(node, IDOT.exampleIdentifier, Literal(curie.split(":", 1)[1] if curie else str(example)))
        stats = void_statistics(content)
        for prop, value in (
            (VOID.triples, stats.triples),
            (VOID.entities, stats.entities),
            (VOID.classes, stats.classes),
            (VOID.properties, stats.properties),
            (VOID.distinctSubjects, stats.distinct_subjects),
            (VOID.distinctObjects, stats.distinct_objects),
        ):
            self.add(node, prop, Literal(value, datatype=XSD.integer))

    def example(self, content: Graph) -> URIRef | None:
        """The configured example resource if ``content`` describes it, else its first IRI subject."""
        wanted = self.release.example_resource
        if (wanted, None, None) in content:
            return wanted
        return min((s for s in content.subjects() if isinstance(s, URIRef)), default=None)

    # -- partitions and linksets of the whole graph ----------------------------

    def graph_figures(self) -> None:
        """Class and property partitions and linksets, shared by every file holding the whole graph."""
        if not self.graph_files:
            return
        stats = void_statistics(self.graph)
        for cls, count in sorted(stats.class_entities.items()):
            part = self.release.iri("partition", "class", self.key(cls))
            self.add(part, VOID["class"], cls)
            self.add(part, VOID.entities, Literal(count, datatype=XSD.integer))
            self.link(VOID.classPartition, part)
        for prop, count in sorted(stats.property_triples.items()):
            part = self.release.iri("partition", "property", self.key(prop))
            self.add(part, VOID.property, prop)
            self.add(part, VOID.triples, Literal(count, datatype=XSD.integer))
            self.link(VOID.propertyPartition, part)
        for prefix, by_predicate in linkset_counts(self.graph, self.prefixes).items():
            self.link(VOID.subset, self.linkset(prefix, by_predicate))

    def link(self, predicate: URIRef, node: URIRef) -> None:
        for dist in self.graph_files:
            self.add(dist, predicate, node)

    def key(self, iri: URIRef) -> str:
        """A readable, stable path segment for ``iri``: its CURIE, else a digest of it."""
        return self.prefixes.compress(str(iri)) or hashlib.sha256(str(iri).encode()).hexdigest()[:16]

    def linkset(self, prefix: str, by_predicate: Counter[URIRef]) -> URIRef:
        """One linkset per external vocabulary, with one subset per mapping predicate."""
        target = self.vocabulary_node(prefix)
        node = self.release.iri("linkset", prefix)
        self.linkset_facts(node, target, sorted(by_predicate), sum(by_predicate.values()))
        for predicate, count in sorted(by_predicate.items()):
            child = self.release.iri("linkset", prefix, self.key(predicate))
            self.linkset_facts(child, target, [predicate], count)
            self.add(node, VOID.subset, child)
        return node

    def linkset_facts(self, node: URIRef, target: URIRef, predicates: Iterable[URIRef], triples: int) -> None:
        self.add(node, RDF.type, VOID.Linkset)
        self.add(node, VOID.linkPredicate, *predicates)
        self.add(node, VOID.objectsTarget, target)
        self.add(node, VOID.target, target)
        self.add(node, VOID.triples, Literal(triples, datatype=XSD.integer))

    def vocabulary_node(self, prefix: str) -> URIRef:
        """The external vocabulary as a void:Dataset, known by its prefix and URI space."""
        node = self.release.iri("vocabulary", prefix)
        self.add(node, RDF.type, VOID.Dataset)
        self.add(node, IDOT.preferredPrefix, Literal(prefix))
        self.add(node, VOID.uriSpace, Literal(self.prefixes.uri_prefixes[prefix]))
        return node


def _parse(name: str, data: bytes, fmt: FileFormat) -> Graph:
    """The triples of an RDF file (the union of its graphs for quad formats)."""
    dataset = Dataset()
    try:
        dataset.parse(data=data, format=fmt.media_type)
    except Exception as exc:  # parsers raise many kinds; name the file
        raise OmsError(f"{name}: cannot be read as {fmt.label}: {exc}") from None
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


# ---------------------------------------------------------------- validation


def load_hcls_shapes(root: Path | None = None) -> Graph:
    """The SHACL shapes of the HCLS dataset description profile (``ontology/shapes/hcls-shapes.ttl``)."""
    return Graph().parse((root or project_root()) / SHAPES_FILE, format="turtle")


def validate_description(description: Graph, *, shapes: Graph | None = None) -> Report:
    """Check a dataset description against the HCLS shapes: MUST and MUST NOT rules of the
    profile are violations, SHOULD rules warnings."""
    return validate(description, shapes=shapes if shapes is not None else load_hcls_shapes())
