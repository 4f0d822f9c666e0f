"""A store's HPO graph validated against the linked shapes (omskg.linked.conformance) and
``omskg validate --store``: results named by label, shape and the phenotype.hpoa line they
came from; exit 1 on a violation in either graph, 0 when both conform."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from omskg.cli import main
from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.linked.conformance import graph_size, refuse_unless_conforming, validate_linked
from omskg.linked.hpo import HPOA_COLUMNS, annotation_block, statement_iri
from omskg.linked.store import CORE, HPO, core_store
from omskg.paths import project_root

BASE = project_root() / "tests" / "shapes" / "linked" / "base.ttl"
# a row of phenotype.hpoa on the base slice's disease and terms (TAS: ECO:0000304)
ROW = ["OMIM:609153", "Example disease", "", "HP:0001336", "PMID:24947683", "TAS", "HP:0003593",
       "HP:0040283", "FEMALE", "", "P", "HPO:curator[2025-01-16]"]  # fmt: skip
PERCENTAGE = "<https://w3id.org/omskg/vocab/percentage>"
DECIMAL = "<http://www.w3.org/2001/XMLSchema#decimal>"


def _store(folder: Path, built: BuiltGraph, *, broken: bool) -> Path:
    """An on-disk store: the core graph, the base slice and ROW converted into the HPO graph;
    ``broken`` gives ROW's statement a percentage beside its frequency term."""
    store = core_store(built, ox.Store(str(folder)))
    hpo = f"<{HPO.value}>"
    slice_ = Graph().parse(BASE).serialize(format="nt", encoding="utf-8")
    store.bulk_load(slice_, ox.RdfFormat.N_TRIPLES, to_graph=HPO)
    block = annotation_block(ROW, hpo, "phenotype.hpoa:3")
    if broken:
        block += f'<{statement_iri(ROW)}> {PERCENTAGE} "50.0"^^{DECIMAL} {hpo} .\n'
    store.bulk_load(block.encode(), ox.RdfFormat.N_QUADS)
    store.flush()
    return folder


@pytest.fixture()
def hpoa(tmp_path: Path) -> Path:
    path = tmp_path / "phenotype.hpoa"
    path.write_text(
        "#date: 2025-01-16\n" + "\t".join(HPOA_COLUMNS) + "\n" + "\t".join(ROW) + "\n", encoding="utf-8"
    )
    return path


def test_a_conforming_store(tmp_path: Path, built: BuiltGraph, hpoa: Path) -> None:
    store = ox.Store.read_only(str(_store(tmp_path / "store", built, broken=False)))
    report = validate_linked(store, hpoa=hpoa)
    assert report.findings == ()
    assert report.text() == "conforms: 0 violation(s), 0 warning(s), 0 info"
    assert (
        graph_size(store, HPO) == len(Graph().parse(BASE)) + 9
    )  # the row's statement (its plain triple is in the slice)


def test_a_broken_statement_is_named_with_its_hpoa_line(
    tmp_path: Path, built: BuiltGraph, hpoa: Path
) -> None:
    store = ox.Store.read_only(str(_store(tmp_path / "store", built, broken=True)))
    report = validate_linked(store, hpoa=hpoa)
    assert not report.conforms
    [line] = report.text().splitlines()[:-1]
    assert line == (
        f"Violation: omsa:{statement_iri(ROW).rsplit('/', 1)[1]} "
        "a frequency is one HPO term, one fraction n/m (both parts) or one percentage "
        "<omsshape:L01-annotation> [phenotype.hpoa:3]"
    )


def test_a_broken_term_is_named_with_its_label(tmp_path: Path, built: BuiltGraph, hpoa: Path) -> None:
    folder = _store(tmp_path / "store", built, broken=False)
    store = ox.Store(str(folder))
    ic = ox.NamedNode("https://w3id.org/omskg/vocab/informationContent")
    seizure = ox.NamedNode("http://purl.obolibrary.org/obo/HP_0001250")
    double = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")
    store.add(ox.Quad(seizure, ic, ox.Literal("-1.0", datatype=double), HPO))
    found = [
        (f.focus, f.focus_label, f.path, f.shape, f.message)
        for f in validate_linked(store, hpoa=hpoa).findings
    ]
    assert found == [
        (
            "HP:0001250",
            "Seizure",
            "",
            "omsshape:L02-hpo-class",
            "information content is below its parent's: a term annotates no more diseases than its parents "
            "(value HP:0000118)",
        ),
        (
            "HP:0001250",
            "Seizure",
            "oms:informationContent",
            "omsshape:L02-hpo-class",
            'information content is one double, at least 0 (value "-1"^^<http://www.w3.org/2001/XMLSchema#double>)',
        ),
    ]


@pytest.mark.parametrize(("broken", "code"), [(False, 0), (True, 1)], ids=["conforms", "broken"])
def test_cli_validates_both_graphs_of_a_store(
    tmp_path: Path, built: BuiltGraph, broken: bool, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _store(tmp_path / "store", built, broken=broken)
    assert main(["validate", "--store", str(folder)]) == code
    out = capsys.readouterr().out.splitlines()
    size = len(Graph().parse(BASE)) + 9 + broken
    assert out[:4] == [
        f"core graph: the store holds this checkout's build, triple for triple ({len(built.graph)} triples)",
        f"core graph: {len(built.graph)} triples checked against ontology/shapes/omskg-shapes.ttl",
        "conforms: 0 violation(s), 0 warning(s), 0 info",
        f"HPO graph: {size} triples checked on the store "
        "(ontology/shapes/linked-shapes.ttl compiled to SPARQL)",
    ]
    assert out[-1] == ("does not conform: 1 violation(s)" if broken else "conforms: 0 violation(s)") + (
        ", 0 warning(s), 0 info"
    )


def test_cli_names_a_folder_without_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--store", str(tmp_path)]) == 2
    assert f"{tmp_path}: no store there" in capsys.readouterr().err


def test_a_store_whose_core_graph_is_not_the_build_is_reported(
    tmp_path: Path, built: BuiltGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    """The core shapes are checked on the build; the store must hold that graph (an older
    build, or a triple added by hand, is named)."""
    folder = _store(tmp_path / "store", built, broken=False)
    store = ox.Store(str(folder))
    oms = ox.NamedNode("https://w3id.org/omskg/entity/oms")
    store.add(
        ox.Quad(oms, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal("added"), CORE)
    )
    del store
    assert main(["validate", "--store", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "core graph: the store differs from this checkout's build: 1 triple(s) only in the store, "
        "0 only in the build (rebuild it with `omskg build` or `omskg link`)",
        "  store only: <https://w3id.org/omskg/entity/oms> <http://www.w3.org/2000/01/rdf-schema#comment> "
        '"added" .',
    ]


def test_the_build_refuses_an_hpo_graph_that_does_not_conform(tmp_path: Path, built: BuiltGraph) -> None:
    """What ``omskg build`` runs on its in-memory copy before the release is swapped in."""
    store = ox.Store()
    for quad in ox.Store.read_only(str(_store(tmp_path / "store", built, broken=True))):
        store.add(quad)
    with pytest.raises(
        OmsError, match=r"^the HPO graph does not conform .*; nothing was written:\n"
    ) as refused:
        refuse_unless_conforming(store)
    assert str(refused.value).endswith("does not conform: 1 violation(s), 0 warning(s), 0 info")
    conforming = ox.Store()
    for quad in ox.Store.read_only(str(_store(tmp_path / "good", built, broken=False))):
        conforming.add(quad)
    refuse_unless_conforming(conforming)
