"""Every piece of evidence points at a passage of the right document that names the fact."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from rdflib import RDF, XSD, Literal

from omskg.cli import main
from omskg.curation.anchoring import quote_of
from omskg.curation.build import BuiltGraph
from omskg.curation.evidence import verify_evidence
from omskg.curation.records import load_curated
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
    (selector,) = (
        s for s in graph.objects(evidence, OA.hasSelector) if (s, RDF.type, OA.TextPositionSelector) in graph
    )
    copy = type(built)(graph=graph.__class__(), origins=built.origins)
    copy.graph += graph
    copy.graph.set((selector, OA.start, Literal(0, datatype=XSD.nonNegativeInteger)))
    copy.graph.set((selector, OA.end, Literal(1, datatype=XSD.nonNegativeInteger)))
    check = verify_evidence(copy, sources_dir)
    assert any("the quote of 0-1 does not match the passage there" in p for p in check.problems)
    for quote in [s for s in copy.graph.objects(evidence, OA.hasSelector) if s != selector]:
        copy.graph.remove((evidence, OA.hasSelector, quote))  # without its quote: the span check
    check = verify_evidence(copy, sources_dir)
    assert any("names none of" in p for p in check.problems)


def _rewrapped(text: str) -> str:
    """The same document as another copy would hold it: a paragraph of navigation text first,
    spaces doubled, every line break made two and the lines wrapped again at 60 characters."""
    words = text.replace("\n", "\n\n").split(" ")
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) > 60:
            lines.append(line)
            line = ""
        line += word + "  "
    return "Home | Conditions | Contact us\n\nSkip to the main content.\n\n" + "\n".join([*lines, line])


def test_every_passage_is_found_again_in_altered_copies(
    built: BuiltGraph, sources_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copies"
    copy.mkdir()
    for document in sorted(sources_dir.glob("*.txt")):
        (copy / document.name).write_text(_rewrapped(document.read_text(encoding="utf-8")), encoding="utf-8")
    check = verify_evidence(built, copy)
    assert check.problems == ()
    assert len(check.copies) == 2 and check.evidence >= 200
    assert len(check.moved) == check.evidence  # every offset moved, every passage found
    ours = {p.name: p.read_text(encoding="utf-8") for p in sources_dir.glob("*.txt")}
    theirs = {p.name: p.read_text(encoding="utf-8") for p in copy.glob("*.txt")}
    names = {
        str(doc): str(built.graph.value(doc, OMS.fileName))
        for doc in built.graph.subjects(RDF.type, OMS.SourceDocument)
    }
    for line in check.moved:  # "file:line: omse:doc a-b found at c-d": the same words
        found = re.search(r": omse:(\S+) (\d+)-(\d+) found at (\d+)-(\d+)$", line)
        assert found is not None, line
        name = names[str(OMSE[found.group(1)])]
        a, b, c, d = (int(found.group(i)) for i in range(2, 6))
        assert ours[name][a:b].split() == theirs[name][c:d].split(), line
    assert main(["verify-evidence", str(copy)]) == 0
    out = capsys.readouterr().out
    assert out.count("differs from the recorded digest; finding each passage by its quote") == 2
    assert f"{check.evidence} found by their quote at other offsets: all hold" in out


def test_a_passage_missing_from_a_copy_is_named(built: BuiltGraph, sources_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copies"
    shutil.copytree(sources_dir, copy)
    target = copy / "000_6e40a66a197a718b.txt"
    text = target.read_text(encoding="utf-8")
    target.write_text(text[:3603] + text[3760:], encoding="utf-8")  # two treatment passages cut out
    check = verify_evidence(built, copy)
    unplaced = [p for p in check.problems if "not placed" in p]
    assert unplaced and all("omse:gale-oms 36" in p or "omse:gale-oms 37" in p for p in unplaced), unplaced
    assert {"omse:gale-oms 3603-3685", "omse:gale-oms 3686-3759"} <= {
        re.search(r"omse:gale-oms \d+-\d+", p).group(0)
        for p in unplaced  # type: ignore[union-attr]
    }


def test_every_quote_in_the_data_is_the_passage_edges(root: Path, sources_dir: Path) -> None:
    """The quotes stored in data/ (users have no copy of the documents) are the words at the
    edges of each passage as our copy has them, each part within the limits."""
    texts = {
        str(record["id"]): (sources_dir / str(record["file"])).read_text(encoding="utf-8")
        for record in yaml.safe_load((root / "data" / "sources.yaml").read_text(encoding="utf-8"))
    }
    statements = load_curated(root / "data", root=root).statements
    evidence = [item for st in statements for item in st.evidence]
    assert len(evidence) >= 200
    for item in evidence:
        assert item.quote == quote_of(texts[item.source], item.start, item.end), (item.source, item.line)
        assert item.quote is not None and item.quote.problem() is None


def test_a_quote_of_a_sentence_is_refused(project_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project_copy / "data" / "statements" / "gale-oms.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('first: "Opsoclonus myoclonus is a"', 'first: "Opsoclonus myoclonus is a very rare"', 1),
        encoding="utf-8",
    )
    assert main(["build", "--out", str(project_copy / "dist"), "--no-link"]) == 2
    err = capsys.readouterr().err
    assert "gale-oms.yaml" in err and "`first` has 6 words" in err


def test_a_missing_document_says_how_to_name_the_copy(built: BuiltGraph, tmp_path: Path) -> None:
    check = verify_evidence(built, tmp_path)
    assert check.documents == 0 and len(check.problems) == 2
    assert check.problems[0] == (
        f"{tmp_path / '000_6e40a66a197a718b.txt'}: no copy of omse:gale-oms (Opsoclonus Myoclonus) here; "
        f"save your copy of it in {tmp_path} under the name 000_6e40a66a197a718b.txt"
    )
