"""The neighbourhood pictures: what goes in each kind for OMS and myoclonus, the DOT text (the same
on every run, and clean for Graphviz), the SVG and PNG that Graphviz makes of it, the errors, and
the ``diagram`` command."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import URIRef

from omskg.cli import main
from omskg.curation.build import BuiltGraph
from omskg.errors import OmsError
from omskg.web.diagram import entity_iri, neighbourhood, render, to_dot

OMS = entity_iri("omse:oms")
MYOCLONUS = entity_iri("omse:myoclonus")
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NO_DOT = "Graphviz's dot was not found on PATH; install Graphviz (Debian: apt-get install graphviz)"

# What the curated data says about OMS, by kind (queries/cq/01-oms-symptoms.csv lists the same
# 22 phenotypes). Myoclonus and opsoclonus are phenotypes and diagnostic criteria both; viral
# infection is a trigger, an association and a relapse trigger, and counts once here.
OMS_KINDS = {
    "phenotype": {
        "anxiety",
        "confusion",
        "decreased awareness and responsiveness",
        "difficulty eating",
        "difficulty sitting",
        "difficulty sleeping",
        "difficulty speaking",
        "difficulty standing",
        "hypotonia",
        "inability to speak",
        "irritability",
        "lethargy",
        "malaise",
        "mood changes",
        "muscle weakness",
        "myoclonus",
        "nervousness",
        "opsoclonus",
        "poorly articulated speech",
        "rage",
        "drowsiness",
        "tremor",
        "unsteady trembling gait",
    },
    "treatment": {
        "adrenocorticotropic hormone",
        "azathioprine",
        "cancer treatment",
        "chemotherapy",
        "clonazepam",
        "corticosteroid",
        "immunoadsorption",
        "intravenous immunoglobulin",
        "intravenous steroid",
        "radiation therapy",
        "therapeutic apheresis",
        "tumour removal",
        "valproate",
    },
    "cause": {
        "Coxsackie B virus infection",
        "Epstein-Barr virus infection",
        "St. Louis encephalitis",
        "amitriptyline",
        "bladder tumour",
        "breast tumour",
        "diazepam",
        "influenza",
        "lung tumour",
        "malignant tumour",
        "medication",
        "misdirected immune response against the brain",
        "neuroblastoma",
        "ovarian tumour",
        "phenytoin",
        "thymus tumour",
        "tumour",
        "tumour of the lymphatic system",
        "uterine tumour",
        "viral infection",
    },
    "diagnosis": {
        "blood laboratory test",
        "clinical identification of signs",
        "myoclonus",
        "opsoclonus",
        "search for an underlying tumour",
        "spinal fluid laboratory test",
    },
    "course": {
        "attention problems",
        "behaviour problems",
        "below-normal intelligence",
        "coordination problems",
        "decrease of myoclonus",
        "full recovery",
        "improvement of symptoms",
        "inability to live independently",
        "lasting severe problems",
        "learning difficulties",
        "mild disease before treatment",
        "neuroblastoma cause",
        "obsessive-compulsive disorder",
        "presence and treatment of a tumour",
        "rapid progression",
        "recurrence of symptoms",
        "relapse",
        "resolution of symptoms",
        "spontaneous resolution",
        "sudden onset",
        "symptoms present",
        "very severe disease",
        "viral cause",
    },
    "other": {
        "Opsoclonus-Myoclonus USA and International",
        "adults",
        "children",
        "children under two years",
        "infants",
        "movement disorder",
        "nervous system disorder",
        "neurologist",
        "neurosurgeon",
        "occupational therapist",
        "physical therapist",
        "previously healthy people",
        "rare",
        "speech and language therapist",
        "very rare",
    },
}


def test_oms_neighbours_by_kind(built: BuiltGraph) -> None:
    hood = neighbourhood(built.graph, OMS)
    assert hood.label == "opsoclonus-myoclonus syndrome"
    assert {kind: hood.labels(kind) for kind in OMS_KINDS} == OMS_KINDS
    # one neighbour per fact: viral infection three times, myoclonus and opsoclonus twice
    assert len(hood.neighbours) == 102
    assert [n.relation_label for n in hood.neighbours if n.label == "viral infection"] == [
        "associated with",
        "can be triggered by",
        "relapse can be triggered by",
    ]


def test_treatments_the_sources_hedge(built: BuiltGraph) -> None:
    """Dashed in the picture: every statement of the fact carries a certainty qualifier. Cancer
    treatment is also stated once without one, tumour removal never with one; ACTH, clonazepam
    and valproate are named without a hedge by Gale, which hedges only their effect."""
    hood = neighbourhood(built.graph, OMS)
    hedged = {n.label for n in hood.neighbours if n.kind.key == "treatment" and n.hedged}
    unhedged = {"cancer treatment", "tumour removal", "adrenocorticotropic hormone"} | {
        "clonazepam",
        "valproate",
    }
    assert hedged == OMS_KINDS["treatment"] - unhedged


def test_myoclonus_neighbours(built: BuiltGraph) -> None:
    hood = neighbourhood(built.graph, MYOCLONUS)
    assert hood.labels("phenotype") == {
        "difficulty eating",
        "difficulty speaking",
        "difficulty walking",
        "distorted movement",
        "persistent shock-like contractions of a muscle group",
    }
    assert hood.labels("treatment") == {
        "antiepileptic drug",
        "barbiturate",
        "clonazepam",
        "combination drug therapy",
        "drug targeting a specific biochemical change",
        "drug therapy",
        "phenytoin",
        "primidone",
        "sodium valproate",
    }
    assert hood.labels("diagnosis") == {"disorder of the brain or nerves", "nervous system disorder"}
    assert {n.relation_label for n in hood.neighbours if n.kind.key == "diagnosis"} == {"may indicate"}


@pytest.mark.slow
def test_dot_is_the_same_in_another_process(built: BuiltGraph, root: Path) -> None:
    """Another interpreter with another string-hash seed (so other set orders) writes the same text."""
    text = to_dot(built.graph, OMS)
    assert to_dot(built.graph, OMS) == text
    program = (
        "import sys; from omskg.curation.build import build_graph; "
        "from omskg.web.diagram import entity_iri, to_dot; "
        "sys.stdout.write(to_dot(build_graph().graph, entity_iri('omse:oms')))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "20240611"}
    other = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=root, check=True
    )
    assert other.stdout == text


@pytest.mark.parametrize("entity", [OMS, MYOCLONUS, entity_iri("omse:acth")])
def test_graphviz_reads_the_dot_without_warnings(built: BuiltGraph, entity: URIRef) -> None:
    """Warnings would mean a misplaced arrow or a node pulled into the wrong box."""
    done = subprocess.run(
        ["dot", "-Tcanon"], input=to_dot(built.graph, entity), capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_svg_and_png(built: BuiltGraph, tmp_path: Path) -> None:
    hood = neighbourhood(built.graph, OMS)
    paths = render(to_dot(built.graph, OMS), tmp_path / "pictures" / "oms")
    assert paths == [tmp_path / "pictures" / "oms.svg", tmp_path / "pictures" / "oms.png"]
    assert sorted(p.name for p in (tmp_path / "pictures").iterdir()) == ["oms.png", "oms.svg"]

    assert _svg_nodes(paths[0]) == {n.node_id for n in hood.neighbours} | {"omse:oms", "legend"}
    svg_text = paths[0].read_text(encoding="utf-8")
    assert ">tumour of the lymphatic</text>" in svg_text  # labels wrap at word boundaries

    png = paths[1].read_bytes()
    assert png[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk comes first
    assert 1200 < width < 4000 and 900 < height < 3000, (width, height)
    assert paths[1].stat().st_mode & 0o777 == 0o644


def test_one_format(built: BuiltGraph, tmp_path: Path) -> None:
    assert render(to_dot(built.graph, MYOCLONUS), tmp_path / "m", formats=["png"]) == [tmp_path / "m.png"]
    assert [p.name for p in tmp_path.iterdir()] == ["m.png"]


def test_committed_picture_shows_the_current_data(built: BuiltGraph, root: Path) -> None:
    hood = neighbourhood(built.graph, OMS)
    expected = {n.node_id for n in hood.neighbours} | {"omse:oms", "legend"}
    assert _svg_nodes(root / "docs" / "images" / "oms.svg") == expected, (
        "redraw it: omskg diagram omse:oms --out docs/images/oms"
    )
    assert (root / "docs" / "images" / "oms.png").read_bytes()[:8] == PNG_SIGNATURE


def test_missing_dot(built: BuiltGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(OmsError) as caught:
        render(to_dot(built.graph, OMS), tmp_path / "out" / "oms")
    assert str(caught.value) == NO_DOT
    assert not (tmp_path / "out").exists()


def test_dot_failure_keeps_the_old_files(tmp_path: Path) -> None:
    old = tmp_path / "oms.svg"
    old.write_text("old picture", encoding="utf-8")
    with pytest.raises(OmsError, match=r"^Graphviz's dot failed: .*syntax error in line 1"):
        render("digraph { a -> }\n", tmp_path / "oms")
    assert old.read_text(encoding="utf-8") == "old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["oms.svg"]  # no temporary file left


def test_dot_timeout_leaves_nothing(built: BuiltGraph, tmp_path: Path) -> None:
    with pytest.raises(OmsError, match=r"^Graphviz's dot took longer than 0.001 s; "):
        render(to_dot(built.graph, OMS), tmp_path / "oms", timeout=0.001)
    assert list(tmp_path.iterdir()) == []


def test_unknown_entity(built: BuiltGraph) -> None:
    with pytest.raises(OmsError) as caught:
        neighbourhood(built.graph, entity_iri("omse:no-such-condition"))
    assert str(caught.value) == (
        "omse:no-such-condition is not in the graph; give the CURIE of an entity, such as omse:oms"
    )


def test_entity_without_relations(built: BuiltGraph) -> None:
    with pytest.raises(OmsError, match=r"^omse:anxiety has no fact relation to another entity, so there"):
        to_dot(built.graph, entity_iri("omse:anxiety"))


def test_entity_names() -> None:
    assert entity_iri("https://w3id.org/omskg/entity/oms") == OMS
    with pytest.raises(OmsError, match=r"^'oms' is neither a CURIE nor an IRI; name an entity such as"):
        entity_iri("oms")
    with pytest.raises(OmsError, match=r"^unknown prefix 'nope' in 'nope:oms'"):
        entity_iri("nope:oms")


@pytest.mark.slow
def test_cli_default_stem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["diagram"]) == 0
    folder = Path("diagrams")
    assert capsys.readouterr().out.splitlines() == [str(folder / "oms.svg"), str(folder / "oms.png")]
    assert _svg_nodes(tmp_path / folder / "oms.svg") >= {"omse:oms", "oms:hasTreatment omse:ivig"}


def test_cli_condition_and_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stem = tmp_path / "pictures" / "myoclonus"
    assert main(["diagram", "omse:myoclonus", "--out", str(stem), "--format", "svg"]) == 0
    assert capsys.readouterr().out == f"{stem}.svg\n"
    assert "oms:mayIndicate omse:nervous-system-disorder" in _svg_nodes(stem.with_suffix(".svg"))
    assert [p.name for p in stem.parent.iterdir()] == ["myoclonus.svg"]


def test_cli_bad_condition(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagram", "oms", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == (
        "error: 'oms' is neither a CURIE nor an IRI; name an entity such as omse:oms\n"
    )
    assert list(tmp_path.iterdir()) == []


def _svg_nodes(path: Path) -> set[str]:
    """The ids of the nodes Graphviz drew (each node is a ``<g class="node">`` with a ``<title>``)."""
    root = ET.parse(path).getroot()
    return {
        (group.findtext(f"{SVG}title") or "")
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "node"
    }
