"""Property-based round trips: random graphs survive every export and the project's reader.

Hypothesis draws small graphs from the corners where RDF tools tend to lose
information: language tags in mixed case, non-canonical and ill-typed lexical forms
(``"007"^^xsd:integer``, ``"2024-1-5"^^xsd:date``), empty strings, non-ASCII text and
every C0 control character, non-ASCII IRIs, blank nodes in cycles, RDF lists, the
project's own predicates (whose JSON-LD terms coerce types and languages) and
evidence, which TriG and N-Quads put into named graphs. Each graph goes through
every entry of ``RDF_EXPORTS`` and back through :func:`omskg.rdfio.read_graph`.

What "without change" means here (see :func:`canonical`): the same triples up to
blank node labels, with every lexical form and every language tag byte for byte.
RDF 1.1 lets language tags compare case-insensitively and calls ``"x"`` and
``"x"^^xsd:string`` the same literal; the project keeps tags as written (so the
comparison is exact), and only the second equivalence is applied.

One syntax cannot carry everything: XML 1.0 has no way to write most C0 control
characters, U+FFFE or U+FFFF (not even as character references), and RDF/XML
writes a predicate as an XML name other than its own syntax names (``rdf:li``). For
such graphs the property is that :func:`omskg.release.rdf_writers.to_rdfxml` refuses with
:class:`OmsError` instead of writing a broken file. Left out on purpose: lone
surrogates (no file can encode them) and IRIs that are relative or hold a space or a
``{`` (every export refuses those; see ``test_fuzz_regressions.py``).

The normal suite runs a fixed (derandomised) set of examples; set
``OMSKG_HYPOTHESIS_EXAMPLES=2000`` to search afresh with that many per test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import RDF, RDFS, XSD, BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from omskg.errors import OmsError
from omskg.prefixes import OA, OMS, OMSEV
from omskg.rdfio import lexical_forms_kept, read_graph
from omskg.release.jsonld import to_jsonld
from omskg.release.rdf_writers import RDF_EXPORTS, evidence_graph_name, to_nquads, to_trig, to_turtle

# rdflib warns about each ill-typed number or boolean it meets; these graphs hold them on purpose
pytestmark = [
    pytest.mark.filterwarnings("ignore:Parsing weird boolean:UserWarning"),
    pytest.mark.filterwarnings("ignore:Serializing weird numerical:UserWarning"),
]
_SEARCH = os.environ.get("OMSKG_HYPOTHESIS_EXAMPLES")
PROPERTY = settings(max_examples=int(_SEARCH) if _SEARCH else 100, deadline=None, derandomize=_SEARCH is None)

Triple = tuple[Node, Node, Node]

NAMESPACES = [
    "http://example.org/",
    "http://example.org/é#",
    "https://例え.jp/名前/",
    "https://w3id.org/omskg/entity/",
    "https://w3id.org/omskg/vocab/",
    "http://purl.obolibrary.org/obo/HP_",
]
# Predicates whose JSON-LD terms carry coercions: @type @id, a datatype, "@language": null,
# the reverse term "statements" (rdf:subject); the rdf:first / rdf:rest of Turtle's ( ) lists;
# rdf:li and rdf:nodeID, which RDF/XML reads as syntax.
PROJECT_PREDICATES = [
    RDF.type,
    RDF.subject,
    RDF.first,
    RDF.rest,
    URIRef(f"{RDF}li"),
    URIRef(f"{RDF}nodeID"),
    RDFS.label,
    OMS.duration,
    OMS.hasPhenotype,
    OMS.fileName,
    OMS.approximate,
    OMS.maleToFemaleRatio,
    OA.start,
]
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XML_NAME_END = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*$")
RDFXML_SYNTAX = {URIRef(f"{RDF}li"), URIRef(f"{RDF}nodeID")}
CONTROLS = "".join(map(chr, range(0x20))) + "\x7f\x85\u2028\u2029\ufffe\uffff"
# Lexical forms that rdflib, left to itself, rewrites (or that are ill-typed and must stay so).
ODD_LEXICAL_FORMS = [
    ("007", XSD.integer),
    ("+1", XSD.integer),
    ("-0", XSD.integer),
    (" 7 ", XSD.integer),
    ("", XSD.integer),
    ("1.50", XSD.decimal),
    (".5", XSD.decimal),
    ("1", XSD.decimal),
    ("1E0", XSD.double),
    ("-INF", XSD.double),
    ("NaN", XSD.float),
    ("1", XSD.boolean),
    ("TRUE", XSD.boolean),
    ("true", XSD.boolean),
    ("2024-1-5", XSD.date),
    ("2024-01-05Z", XSD.date),
    ("PT36H", XSD.duration),
    ("0042", XSD.nonNegativeInteger),
]
DATATYPES = [XSD.integer, XSD.decimal, XSD.double, XSD.boolean, XSD.string, URIRef("http://example.org/dt")]


def _literal(lexical: str, datatype: URIRef | None = None, lang: str | None = None) -> Literal:
    with lexical_forms_kept():
        return Literal(lexical, datatype=datatype, lang=lang)


def _iri(namespace: str, local: str) -> URIRef:
    return URIRef(namespace + local)


iris = st.builds(_iri, st.sampled_from(NAMESPACES), st.text("aZ09_-.éü名", max_size=5))
bnodes = st.sampled_from([BNode("b1"), BNode("b2"), BNode("b3")])
texts = st.text(
    st.one_of(
        st.characters(exclude_categories=["Cs"]),  # lone surrogates: not encodable in any file
        st.sampled_from(CONTROLS),
        st.sampled_from("\"'\\<>&{}@^#:;,._ \t\né名😀"),
    ),
    max_size=10,
)
languages = st.one_of(
    st.sampled_from(["en", "EN", "en-GB", "EN-gb", "de-CH-1996", "zh-Hant-TW"]),
    st.from_regex(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}", fullmatch=True),
)
literals = st.one_of(
    st.builds(_literal, texts),
    st.builds(_literal, texts, st.none(), languages),
    st.sampled_from(ODD_LEXICAL_FORMS).map(lambda pair: _literal(*pair)),
    st.builds(
        _literal,
        st.from_regex(r"[+-]?[0-9]{0,3}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?", fullmatch=True),
        st.sampled_from(DATATYPES),
    ),
    st.builds(_literal, texts, st.sampled_from(DATATYPES)),
)
triples = st.tuples(
    st.one_of(iris, bnodes),
    st.one_of(st.sampled_from(PROJECT_PREDICATES), iris),
    st.one_of(iris, bnodes, literals, st.just(RDF.nil)),
)
CYCLE = [(BNode("b1"), RDFS.seeAlso, BNode("b2")), (BNode("b2"), RDFS.seeAlso, BNode("b1"))]


@st.composite
def evidence(draw: st.DrawFn) -> list[Triple]:
    """A statement's evidence as the build writes it: source document, selector with offsets.
    Evidence nodes come from their own pool, so each has exactly one source document."""
    statement = draw(st.one_of(iris, bnodes))
    node = draw(st.one_of(st.builds(lambda n: OMSEV[f"e{n}"], st.integers(0, 2)), st.just(BNode("ev"))))
    found = [(statement, OMS.hasEvidence, node), (node, OA.hasSource, draw(iris))]
    if draw(st.booleans()):
        selector = BNode("sel") if isinstance(node, BNode) else URIRef(f"{node}-selector")
        found += [(node, OA.hasSelector, selector), (selector, OA.start, _literal("0042", XSD.integer))]
    return found


@st.composite
def rdf_lists(draw: st.DrawFn) -> list[Triple]:
    """An RDF list on b1, b2...: ending in rdf:nil or back at its head; other triples may
    give its nodes more properties or references, which Turtle's ( ) cannot write."""
    nodes = [BNode(f"b{number}") for number in range(1, draw(st.integers(1, 3)) + 1)]
    found: list[Triple] = [(node, RDF.first, draw(st.one_of(iris, literals))) for node in nodes]
    found += [(node, RDF.rest, after) for node, after in pairwise(nodes)]
    found.append((nodes[-1], RDF.rest, draw(st.sampled_from([RDF.nil, nodes[0]]))))
    if draw(st.booleans()):
        found.append((draw(iris), RDFS.seeAlso, nodes[0]))
    return found


@st.composite
def graphs(draw: st.DrawFn, *, with_evidence: bool = True) -> list[Triple]:
    """Triples (a list, so that a failing example prints them) of a random graph."""
    chosen = draw(st.lists(triples, max_size=8))
    if draw(st.booleans()):
        chosen += CYCLE
    if draw(st.booleans()):
        chosen += draw(rdf_lists())
    if with_evidence and draw(st.booleans()):
        evidence_node = {}
        for group in draw(st.lists(evidence(), max_size=2)):
            # one source per evidence node: a node drawn twice keeps its first group
            if evidence_node.setdefault(group[1][0], group) is group:
                chosen += group
    return chosen


def _graph(triples: list[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def canonical(graph: Graph) -> list[str]:
    """The graph as sorted N-Triples-like lines with blank nodes relabelled canonically.

    Literals print as ``Literal.n3()``, which shows the exact lexical form and language tag;
    ``"x"^^xsd:string`` is written as the simple literal ``"x"`` it is in RDF 1.1. rdflib
    compares language tags ignoring case, which made the labels depend on the order of
    ``""@en`` and ``""@EN``: tags are hidden in a datatype while the labels are drawn."""
    simple = _graph([(s, p, _tag_as_datatype(o)) for s, p, o in graph])
    with lexical_forms_kept():
        relabelled = to_canonical_graph(simple)
    return sorted(" ".join(_n3(term) for term in triple) for triple in relabelled)


_TAG = "urn:x-test-language:"


def _tag_as_datatype(term: Node) -> Node:
    if isinstance(term, Literal) and term.language:
        return _literal(str(term), URIRef(_TAG + term.language))
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def _n3(term: Node) -> str:
    if isinstance(term, Literal) and str(term.datatype or "").startswith(_TAG):
        return _literal(str(term), lang=str(term.datatype)[len(_TAG) :]).n3()
    return term.n3()


def rdfxml_can_carry(graph: Graph) -> bool:
    """False when a predicate IRI does not end in an XML name or is RDF/XML syntax, or a
    literal holds a character XML 1.0 lacks."""
    return all(XML_NAME_END.search(p) and p not in RDFXML_SYNTAX for p in graph.predicates()) and not any(
        isinstance(o, Literal) and XML_FORBIDDEN.search(o) for o in graph.objects()
    )


def _issue_examples() -> list[Triple]:
    """The literals named in issue 6, a blank-node cycle and an empty string."""
    subject = URIRef("http://example.org/s")
    values = [_literal(*pair) for pair in ODD_LEXICAL_FORMS]
    values += [_literal("x", lang="en-GB"), _literal("x", lang="EN-gb"), _literal(""), _literal("é\x01\t")]
    return [*((subject, RDFS.comment, v) for v in values), *CYCLE]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roundtrip")


@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
@PROPERTY
@given(triples=graphs())
@example(triples=_issue_examples())
def test_every_export_reads_back_unchanged(name: str, triples: list[Triple], workdir: Path) -> None:
    graph = _graph(triples)
    export: Callable[[Graph], str] = RDF_EXPORTS[name]
    if name.endswith(".rdf") and not rdfxml_can_carry(graph):
        with pytest.raises(OmsError, match=r"RDF/XML cannot (express predicate|carry U\+)"):
            export(graph)
        return
    path = workdir / name
    path.write_bytes(export(graph).encode("utf-8"))
    assert canonical(read_graph(path)) == canonical(graph)


@PROPERTY
@given(triples=graphs())
def test_evidence_goes_to_its_documents_graph_and_the_rest_to_the_default_graph(
    triples: list[Triple],
) -> None:
    """TriG and N-Quads name one graph per source document; a graph without evidence is
    written into the default graph only."""
    graph = _graph(triples)
    expected = {
        evidence_graph_name(graph.value(e, OA.hasSource)) for e in graph.objects(None, OMS.hasEvidence)
    }
    for export, syntax in ((to_trig, "trig"), (to_nquads, "nquads")):
        dataset = Dataset()
        with lexical_forms_kept():
            dataset.parse(data=export(graph), format=syntax)
        names = {name for *_, name in dataset.quads()} - {DATASET_DEFAULT_GRAPH_ID}
        assert names == expected, syntax


def test_rdfxml_refusal_names_the_character() -> None:
    graph = _graph([(URIRef("http://example.org/s"), RDFS.comment, Literal("bell\x07"))])
    with pytest.raises(OmsError, match=r"RDF/XML cannot carry .*U\+0007.*http://example.org/s"):
        RDF_EXPORTS["omskg.rdf"](graph)


# What these properties found, one test each, on the smallest graph that showed it.

S, P = URIRef("http://example.org/s"), URIRef("http://example.org/p")


def _read_back(name: str, triples: list[Triple], folder: Path) -> list[str]:
    """Canonical lines of the graph of ``triples`` after export ``name`` and the reader."""
    path = folder / name
    path.write_bytes(RDF_EXPORTS[name](_graph(triples)).encode("utf-8"))
    return canonical(read_graph(path))


def test_jsonld_of_a_single_node_keeps_it(tmp_path: Path) -> None:
    """PyLD compacts a lone node to the top object, with no "@graph": the export was empty."""
    triples: list[Triple] = [(S, P, Literal("x"))]
    assert json.loads(to_jsonld(_graph(triples)))["@graph"] == [{"id": str(S), str(P): {"@value": "x"}}]
    assert _read_back("omskg.jsonld", triples, tmp_path) == canonical(_graph(triples))


def test_jsonld_keeps_the_case_of_language_tags(tmp_path: Path) -> None:
    """PyLD's expansion lower-cased tags, and "EN" then merged into the context's default "en"."""
    triples: list[Triple] = [(S, P, _literal("x", lang="EN-gb")), (S, P, _literal("y", lang="EN"))]
    assert _read_back("omskg.jsonld", triples, tmp_path) == [
        '<http://example.org/s> <http://example.org/p> "x"@EN-gb',
        '<http://example.org/s> <http://example.org/p> "y"@EN',
    ]


@pytest.mark.parametrize("name", sorted(RDF_EXPORTS))
def test_a_nan_next_to_a_decimal_is_sorted(name: str, tmp_path: Path) -> None:
    """rdflib orders literals by value: NaN against a decimal raised decimal.InvalidOperation."""
    triples: list[Triple] = [(S, P, _literal("NaN", XSD.float)), (S, P, _literal("1", XSD.decimal))]
    assert _read_back(name, triples, tmp_path) == canonical(_graph(triples))


@pytest.mark.parametrize("name", ["omskg.nt", "omskg.nq"])
def test_line_separators_inside_a_literal_end_no_line(name: str, tmp_path: Path) -> None:
    """Lines were sorted after str.splitlines(), which also splits at U+2028, U+0085, \\f..."""
    triples: list[Triple] = [(S, P, Literal("a\x0bb\x0cc\x1cd\x85e\u2028f\u2029g"))]
    assert len(RDF_EXPORTS[name](_graph(triples)).split("\n")) == 2
    assert _read_back(name, triples, tmp_path) == canonical(_graph(triples))


@pytest.mark.parametrize("text", ["a\tb\n", "line\nPREFIX ex: <http://example.org/>", "a\x0cb\u2028c"])
def test_trig_keeps_literals_with_line_breaks(text: str, tmp_path: Path) -> None:
    """TriG indented each line of a block, inside long strings too, and moved a line starting
    "PREFIX " up to the header."""
    triples: list[Triple] = [(S, P, Literal(text))]
    assert _read_back("omskg.trig", triples, tmp_path) == canonical(_graph(triples))


@pytest.mark.parametrize("name", ["omskg.ttl", "omskg.trig"])
def test_turtle_writes_numbers_and_booleans_as_they_are(name: str, tmp_path: Path) -> None:
    """The shorthand 007 reads back as "7", +1 as "1", 1 as an integer, 1e+00 as "1.0"."""
    triples: list[Triple] = [(S, P, _literal(*pair)) for pair in ODD_LEXICAL_FORMS]
    assert _read_back(name, triples, tmp_path) == canonical(_graph(triples))


def test_turtle_keeps_the_shorthand_of_canonical_forms() -> None:
    triples: list[Triple] = [(S, P, _literal(v, t)) for v, t in [("7", XSD.integer), ("1.50", XSD.decimal)]]
    triples.append((S, P, _literal("true", XSD.boolean)))
    assert "<http://example.org/s> <http://example.org/p> 1.50 , 7 , true .\n" in to_turtle(_graph(triples))


def test_turtle_declares_every_prefix_it_uses(tmp_path: Path) -> None:
    """rdflib made up ns1 for a predicate it then wrote in full (a name cannot end in "."),
    after the PREFIX lines, and used ns1: undeclared for an object IRI."""
    namespace = URIRef("http://example.org/é#")
    triples: list[Triple] = [(S, RDF.type, namespace), (BNode("b1"), URIRef(f"{namespace}Z9."), S)]
    assert _read_back("omskg.ttl", triples, tmp_path) == canonical(_graph(triples))


def test_turtle_writes_as_a_list_only_what_is_a_list(tmp_path: Path) -> None:
    """rdflib wrote a node with rdf:first and one other property as ( ... ), losing the
    other triple and adding an rdf:rest."""
    head = BNode("b1")
    triples: list[Triple] = [(S, RDF.type, head), (head, RDF.type, S), (head, RDF.first, S)]
    assert _read_back("omskg.ttl", triples, tmp_path) == canonical(_graph(triples))


def test_turtle_of_a_cyclic_list_ends(tmp_path: Path) -> None:
    """rdflib followed rdf:rest from b2 to b1 and back for ever."""
    b1, b2 = BNode("b1"), BNode("b2")
    triples: list[Triple] = [(b1, RDF.first, S), (b1, RDF.rest, b2), (b2, RDF.first, P), (b2, RDF.rest, b1)]
    assert _read_back("omskg.ttl", triples, tmp_path) == canonical(_graph(triples))


@pytest.mark.parametrize("name", ["omskg.ttl", "omskg.trig"])
@pytest.mark.parametrize(
    "obj",
    [
        _literal("x", lang="EN-gb"),  # pyoxigraph lower-cases the tag
        _literal("x", lang="a"),  # Turtle's grammar allows it, BCP 47 (and so pyoxigraph) does not
        _literal("007", XSD.integer),  # rdflib reads the shorthand 007 as "7"
        URIRef("https://w3id.org/omskg/entity/."),  # omse:\. is Turtle, which rdflib cannot read
    ],
)
def test_turtle_writes_in_full_what_would_not_read_back(name: str, obj: Node, tmp_path: Path) -> None:
    triples: list[Triple] = [(S, P, obj), (S, RDFS.label, Literal("s"))]
    text = RDF_EXPORTS[name](_graph(triples))
    assert f"<{S}> <{P}> " in text, "written in full"
    assert "rdfs:label" in text, "the rest through pyoxigraph, with prefixes"
    assert _read_back(name, triples, tmp_path) == canonical(_graph(triples))


def test_turtle_is_the_same_for_any_blank_node_labels() -> None:
    """Blank nodes are labelled from the graph's shape, so the bytes do not depend on the
    labels rdflib drew."""
    one = [(BNode("x1"), P, BNode("x2")), (BNode("x2"), P, S)]
    other = [(BNode("y9"), P, BNode("y3")), (BNode("y3"), P, S)]
    assert to_turtle(_graph(one)) == to_turtle(_graph(other))
    assert to_trig(_graph(one)) == to_trig(_graph(other))


def test_trig_keeps_a_blank_node_in_two_graphs_one_node(tmp_path: Path) -> None:
    """A blank statement with evidence is in the default graph and in the evidence graph; each
    block wrote it as [ ], so it read back as two nodes."""
    statement, evidence = BNode("b1"), OMSEV["e0"]
    triples: list[Triple] = [
        (statement, P, Literal("")),
        (statement, OMS.hasEvidence, evidence),
        (evidence, OA.hasSource, URIRef("http://example.org/doc")),
    ]
    assert _read_back("omskg.trig", triples, tmp_path) == canonical(_graph(triples))


def test_rdfxml_keeps_carriage_returns_and_blank_nodes(tmp_path: Path) -> None:
    """XML parsers read a raw CR as LF; blank nodes were refused."""
    triples: list[Triple] = [(S, P, Literal("a\rb\r\nc")), *CYCLE]
    assert _read_back("omskg.rdf", triples, tmp_path) == canonical(_graph(triples))


@pytest.mark.parametrize(
    ("predicate", "message"),
    [
        (URIRef(f"{RDF}li"), "RDF/XML cannot express predicate <.*#li>: RDF/XML reads that name as syntax"),
        (
            URIRef("http://example.org/rel/1"),
            "RDF/XML cannot express predicate .*does not end in an XML name",
        ),
    ],
)
def test_rdfxml_refuses_predicates_it_cannot_write(predicate: URIRef, message: str) -> None:
    with pytest.raises(OmsError, match=message):
        RDF_EXPORTS["omskg.rdf"](_graph([(S, predicate, Literal("x"))]))
