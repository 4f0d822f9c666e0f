"""Every piece of evidence points at a passage of the right document that names the fact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDF

from omskg.cli import main
from omskg.curation.build import BuiltGraph
from omskg.curation.evidence import verify_evidence
from omskg.prefixes import OA, OMS, OMSE


def test_evidence_holds_against_the_sources(built: BuiltGraph, sources_dir: Path) -> None:
    check = verify_evidence(built, sources_dir)
    assert check.documents == 2
    assert check.evidence >= 200
    assert check.problems == ()


def test_every_statement_has_evidence(built: BuiltGraph) -> None:
    graph = built.graph
    statements = set(graph.subjects(RDF.type, OMS.Statement))
    assert len(statements) >= 200
    assert all(graph.value(s, OMS.hasEvidence) is not None for s in statements)


def test_facts_of_both_documents_have_evidence_from_both(built: BuiltGraph) -> None:
    """A fact both documents state has evidence from each: on one statement when they state it
    alike, on one statement per document when their qualifiers differ (a record cites only
    passages that support all its qualifiers, docs/data-model.md rule 4)."""
    graph = built.graph
    documents: dict[tuple[object, object, object], set[object]] = {}
    for s in graph.subjects(RDF.type, OMS.Statement):
        triple = (graph.value(s, RDF.subject), graph.value(s, RDF.predicate), graph.value(s, RDF.object))
        documents.setdefault(triple, set()).update(
            graph.value(e, OA.hasSource) for e in graph.objects(s, OMS.hasEvidence)
        )
    both = {triple for triple, docs in documents.items() if len(docs) == 2}
    oms = OMSE.oms
    assert {
        (oms, OMS.associatedWith, OMSE.neoplasm),
        (oms, OMS.associatedWith, OMSE["viral-infection"]),
        (oms, OMS.hasTreatment, OMSE.acth),
        (oms, OMS.hasPhenotype, OMSE.opsoclonus),
        (oms, OMS.hasPhenotype, OMSE.myoclonus),
        (oms, OMS.hasPhenotype, OMSE["difficulty-speaking"]),
    } <= both
    assert len(both) >= 12


def test_cli_verify_evidence(sources_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-evidence", str(sources_dir)]) == 0
    assert "all hold" in capsys.readouterr().out


def test_cli_verify_evidence_detects_a_changed_document(
    sources_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "sources"
    shutil.copytree(sources_dir, copy)
    target = copy / "004_e4a9b8b095247317.txt"
    target.write_text(
        target.read_text(encoding="utf-8").replace("clonazepam", "clonazepan"), encoding="utf-8"
    )
    assert main(["verify-evidence", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "004_e4a9b8b095247317.txt: SHA-256" in out and "differs from the recorded digest" in out


def test_span_that_names_nothing_is_reported(built: BuiltGraph, sources_dir: Path) -> None:
    graph = built.graph
    statement = next(iter(sorted(graph.subjects(RDF.type, OMS.Statement))))
    evidence = graph.value(statement, OMS.hasEvidence)
    selector = graph.value(evidence, OA.hasSelector)
    copy = type(built)(graph=graph.__class__(), origins=built.origins)
    copy.graph += graph
    from rdflib import XSD, Literal

    copy.graph.set((selector, OA.start, Literal(0, datatype=XSD.nonNegativeInteger)))
    copy.graph.set((selector, OA.end, Literal(1, datatype=XSD.nonNegativeInteger)))
    check = verify_evidence(copy, sources_dir)
    assert any("names none of" in p for p in check.problems)
