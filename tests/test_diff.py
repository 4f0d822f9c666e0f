"""`diff` names added, removed and changed statements between two releases, and its RDF form
turns the old release into the new one."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from omskg.cli import main
from omskg.curation.build import build_graph
from omskg.release.diff import ADDED_GRAPH, REMOVED_GRAPH, diff_releases, report
from omskg.release.rdf_writers import to_ntriples

HICCUP = """- subject: hiccup
  predicate: isKindOf
  object: simple-myoclonus
  evidence:
    - {source: ninds-oms-myoclonus, start: 1427, end: 1476,
"""


@pytest.fixture()
def releases(project_copy: Path) -> tuple[Graph, Graph]:
    """The current release and one where a curator changed four things."""
    old = build_graph(project_copy).graph
    gale = project_copy / "data" / "statements" / "gale-oms.yaml"
    gale.write_text(gale.read_text().replace("duration: P140D", "duration: P141D"))
    ninds = project_copy / "data" / "statements" / "ninds-myoclonus.yaml"
    text = ninds.read_text()
    assert HICCUP in text and "start: 1477, end: 1602," in text
    text = text.replace(HICCUP, HICCUP.replace("object: simple-myoclonus", "object: myoclonus"))
    text = text.replace("start: 1477, end: 1602,", "start: 1477, end: 1600,")
    ninds.write_text(text)
    return old, build_graph(project_copy).graph


@pytest.mark.slow
def test_report_names_each_change(releases: tuple[Graph, Graph]) -> None:
    old, new = releases
    lines = report(diff_releases(old, new), old, new)
    assert lines == [
        "statements: 1 added, 1 removed, 2 changed; entities: 0 added, 0 removed; "
        "triples: 92 added, 92 removed",
        "+ hiccup | is a kind of | myoclonus (ninds-oms-myoclonus 1427-1476)",
        "- hiccup | is a kind of | simple physiological myoclonus (ninds-oms-myoclonus 1427-1476)",
        "~ opsoclonus-myoclonus syndrome | has treatment | adrenocorticotropic hormone",
        '    - qualifier duration: "P140D"',
        '    + qualifier duration: "P141D"',
        "~ sleep start | is a kind of | simple physiological myoclonus",
        "    - evidence ninds-oms-myoclonus 1477-1602",
        "    + evidence ninds-oms-myoclonus 1477-1600",
    ]


@pytest.mark.slow
def test_rdf_difference_turns_old_into_new(releases: tuple[Graph, Graph]) -> None:
    old, new = releases
    dataset = diff_releases(old, new).as_dataset()
    patched = Graph()
    patched += old
    patched -= dataset.graph(REMOVED_GRAPH)
    patched += dataset.graph(ADDED_GRAPH)
    assert isomorphic(patched, new)
    # 51 without the quotes: four pieces of evidence changed, ten triples more each for its quote
    assert len(dataset.graph(REMOVED_GRAPH)) == len(dataset.graph(ADDED_GRAPH)) == 92


def test_same_release_gives_no_difference(built_copy: Graph) -> None:
    result = diff_releases(built_copy, built_copy)
    assert result.empty
    assert not (result.added or result.removed or result.changed)


@pytest.fixture()
def built_copy(project_copy: Path) -> Graph:
    return build_graph(project_copy).graph


@pytest.mark.slow
def test_cli_diff_exit_codes_and_rdf(
    releases: tuple[Graph, Graph], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = releases
    (tmp_path / "old.nt").write_text(to_ntriples(old))
    (tmp_path / "new.nt").write_text(to_ntriples(new))
    assert main(["diff", str(tmp_path / "old.nt"), str(tmp_path / "old.nt")]) == 0
    assert capsys.readouterr().out.startswith("statements: 0 added, 0 removed, 0 changed")
    out = tmp_path / "changes.trig"
    assert main(["diff", str(tmp_path / "old.nt"), str(tmp_path / "new.nt"), "--rdf", str(out)]) == 1
    assert "~ sleep start | is a kind of | simple physiological myoclonus" in capsys.readouterr().out
    assert "diff/added" in out.read_text()


def test_cli_diff_names_a_missing_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(tmp_path / "nope.nt"), str(tmp_path / "nope.nt")]) == 2
    assert "nope.nt: no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_a_change_inside_an_effect_reads_as_a_change_of_the_statement(project_copy: Path) -> None:
    """An effect is a node of its own; the report writes it out, hedge included."""
    old = build_graph(project_copy).graph
    gale = project_copy / "data" / "statements" / "gale-oms.yaml"
    text = gale.read_text()
    assert text.count("{benefitOnset: Rapid, quantifier: Often}") == 2
    gale.write_text(text.replace("{benefitOnset: Rapid, quantifier: Often}", "{benefitOnset: Rapid}", 1))
    new = build_graph(project_copy).graph
    lines = report(diff_releases(old, new), old, new)
    assert lines[1:] == [
        "~ opsoclonus-myoclonus syndrome | has treatment | therapeutic apheresis",
        '    - qualifier has effect: "oms:benefitOnset oms:Rapid, oms:quantifier oms:Often"',
        '    + qualifier has effect: "oms:benefitOnset oms:Rapid"',
    ]
