"""The curator's assistant on a document of our own (``tests/data/leaflet.txt``, written for the
tests): register it, locate a phrase, annotate it, draft statements that the build refuses until
reviewed, and the same steps as docs/curating.md shows them."""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from omskg.cli import main
from omskg.curation.anchoring import quote_of
from omskg.curation.annotate import COLUMNS, NameIndex, annotate
from omskg.curation.build import build_graph
from omskg.curation.validate import validate

LEAFLET = Path(__file__).parent / "data" / "leaflet.txt"
REGISTER = [
    "sources", "add", "documents/leaflet.txt", "--id", "family-leaflet",
    "--title", "Dancing eyes: a leaflet for families", "--creator", "The omskg curators",
    "--publisher", "omskg test data", "--published", "written for the tests in 2026; not published elsewhere",
]  # fmt: skip


@pytest.fixture()
def desk(project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A curator's working folder: the project copy, and the new document in ``documents/``."""
    (tmp_path / "documents").mkdir()
    shutil.copy(LEAFLET, tmp_path / "documents" / "leaflet.txt")
    monkeypatch.chdir(tmp_path)
    assert main(REGISTER) == 0
    return project_copy


def test_sources_add_registers_digest_length_and_origin(
    desk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = yaml.safe_load((desk / "data" / "sources.yaml").read_text(encoding="utf-8"))
    record = records[-1]
    text = LEAFLET.read_text(encoding="utf-8")
    assert record == {
        "id": "family-leaflet",
        "file": "leaflet.txt",
        "sha256": hashlib.sha256(LEAFLET.read_bytes()).hexdigest(),
        "characters": len(text),
        "title": "Dancing eyes: a leaflet for families",
        "creator": "The omskg curators",
        "publisher": "omskg test data",
        "published": "written for the tests in 2026; not published elsewhere",
        "evidence_code": "ECO:0000304",
    }
    assert "# The two source documents." in (desk / "data" / "sources.yaml").read_text(encoding="utf-8")
    assert _builds_and_conforms(desk)  # the record is a valid one


def test_sources_add_refuses_a_second_registration_and_bad_text(
    desk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (desk / "data" / "sources.yaml").read_bytes()
    assert main(REGISTER) == 2
    assert "family-leaflet is registered already" in capsys.readouterr().err
    assert main([*REGISTER[:4], "other-id", *REGISTER[5:]]) == 2
    assert "this text is registered already as family-leaflet" in capsys.readouterr().err
    (tmp_path / "documents" / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    assert main([*REGISTER[:2], "documents/latin1.txt", "--id", "latin", *REGISTER[5:]]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
    big = tmp_path / "documents" / "big.txt"
    big.write_text("word " * 100, encoding="utf-8")
    monkeypatch.setenv("OMSKG_MAX_DOCUMENT_BYTES", "100")
    assert main([*REGISTER[:2], "documents/big.txt", "--id", "big", *REGISTER[5:]]) == 2
    err = capsys.readouterr().err
    assert "documents/big.txt:1: the file holds more than 100 bytes, the limit for a document" in err
    assert "OMSKG_MAX_DOCUMENT_BYTES" in err
    assert (desk / "data" / "sources.yaml").read_bytes() == before  # nothing written on refusal


def test_locate_gives_offsets_and_a_quote_to_paste(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = LEAFLET.read_text(encoding="utf-8")
    assert main(["locate", "family-leaflet", "TROUBLE   sleeping", "--sources", "documents"]) == 0
    out = capsys.readouterr().out
    how, start, end = out.splitlines()[0].split("\t")
    assert how == "tolerant" and text[int(start) : int(end)] == "trouble sleeping"
    (item,) = yaml.safe_load(out.split("\n", 1)[1])
    assert item["start"] == int(start) and item["end"] == int(end)
    assert {k: item[k] for k in ("before", "first", "last", "after")} == quote_of(
        text, int(start), int(end)
    ).parts()
    assert main(["locate", "family-leaflet", "purple elephants", "--sources", "documents"]) == 1


def test_locate_refuses_a_changed_document(
    desk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "documents" / "leaflet.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nA line more.\n", encoding="utf-8")
    assert main(["locate", "family-leaflet", "ataxia", "--sources", "documents"]) == 2
    assert "its SHA-256 is not the one registered for family-leaflet" in capsys.readouterr().err


def _table(out: str) -> list[dict[str, str]]:
    lines = out.splitlines()
    assert lines[0].split("\t") == list(COLUMNS)
    return [dict(zip(COLUMNS, line.split("\t"), strict=True)) for line in lines[1:]]


def test_annotate_finds_terms_with_offsets_negation_and_hedges(
    desk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = LEAFLET.read_text(encoding="utf-8")
    assert main(["annotate", "family-leaflet", "--sources", "documents"]) == 0
    rows = _table(capsys.readouterr().out)
    hpo = {
        (r["id"], text[int(r["start"]) : int(r["end"])], r["negated"], r["hedge"])
        for r in rows
        if r["kind"] == "hpo"
    }
    assert {
        ("HP:0010543", "opsoclonus", "no", ""),
        ("HP:0001336", "myoclonus", "no", ""),
        ("HP:0001251", "ataxia", "no", ""),
        ("HP:0000737", "Irritability", "no", "about half; common"),
        ("HP:0002360", "trouble sleeping", "no", "about half; common"),
        ("HP:0002664", "tumour", "yes", ""),  # "showed no tumour": denied, never found
        ("HP:0002307", "Drooling", "yes", ""),  # "... were not seen"
        ("HP:0002015", "difficulty\nswallowing", "yes", ""),
    } <= hpo
    assert ("omse:viral-infection", "no", "may; some") in {(r["id"], r["negated"], r["hedge"]) for r in rows}
    assert not any(
        r["id"] == "omse:blood-test" and r["negated"] == "yes" for r in rows
    )  # ", and his blood tests"


def test_annotate_as_yaml(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["annotate", "family-leaflet", "--sources", "documents", "--format", "yaml"]) == 0
    rows = yaml.safe_load(capsys.readouterr().out)
    assert rows and set(rows[0]) == set(COLUMNS)


def test_drafts_are_refused_until_reviewed_then_built(desk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draft = [
        "annotate",
        "family-leaflet",
        "--sources",
        "documents",
        "--draft",
        "drafts.yaml",
        "--subject",
        "oms",
    ]
    assert main(draft) == 0
    statements = Path("drafts.yaml").read_text(encoding="utf-8")
    entities = Path("drafts.entities.yaml").read_text(encoding="utf-8")
    records = yaml.safe_load(statements)
    assert len(records) >= 6 and all(r["draft"] is True for r in records)
    objects = {r["object"] for r in records}
    assert {
        "opsoclonus",
        "myoclonus",
        "ataxia",
        "irritability",
        "sleep-disturbance",
        "unsteady-gait",
        "strabismus",
    } <= objects
    assert "neoplasm" not in objects  # denied in the text
    assert "# denied in the text: HP:0002307 (Drooling)" in statements
    sleep = next(r for r in records if r["object"] == "sleep-disturbance")
    assert sleep["qualifiers"] == {"quantifier": "AboutHalf"}
    (squint,) = yaml.safe_load(entities)  # the one HPO term the project has no entity for
    assert squint["id"] == "strabismus" and squint["mappings"][0]["id"] == "HP:0000486"
    assert squint["draft"] is True
    for written in (statements, entities):
        _no_run_of_the_document(written, words=8)
    data = desk / "data"
    (data / "statements" / "family-leaflet.yaml").write_text(statements, encoding="utf-8")
    (data / "entities" / "family-leaflet.yaml").write_text(entities, encoding="utf-8")
    assert main(["build", "--out", str(desk / "dist"), "--no-link"]) == 2
    err = capsys.readouterr().err
    assert "statements/family-leaflet.yaml" in err and "a draft (from `omskg annotate --draft`)" in err
    assert "entities/family-leaflet.yaml:3: 'strabismus': a draft" in err
    # the curator's review: a definition in our own words, and the marks removed
    reviewed = entities.replace(
        'definition: ""', "definition: Eyes that do not look in the same direction at once."
    )
    (data / "entities" / "family-leaflet.yaml").write_text(
        reviewed.replace("  draft: true\n", ""), encoding="utf-8"
    )
    (data / "statements" / "family-leaflet.yaml").write_text(
        statements.replace("  draft: true\n", ""), encoding="utf-8"
    )
    assert _builds_and_conforms(desk)


def _builds_and_conforms(project: Path) -> bool:
    """What `omskg build` checks before it writes anything: the records build, and the graph
    conforms to the shapes (the exports themselves are tested on the project's own data)."""
    return validate(build_graph(project)).conforms


def _no_run_of_the_document(written: str, words: int) -> None:
    """No run of ``words`` words of the leaflet in ``written`` (as source_overlap.py counts)."""

    def runs(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    ours, theirs = runs(written), runs(LEAFLET.read_text(encoding="utf-8"))
    shingles = {tuple(theirs[i : i + words]) for i in range(len(theirs) - words + 1)}
    copied = [
        " ".join(ours[i : i + words])
        for i in range(len(ours) - words + 1)
        if tuple(ours[i : i + words]) in shingles
    ]
    assert copied == []


def test_a_name_across_a_list_and_a_difficulty_cue() -> None:
    index = NameIndex()
    for term, name in (("a", "difficulty sleeping"), ("b", "weak muscles"), ("c", "difficulty walking")):
        index.add(term, name, "entity")
    text = (
        "Difficulties eating, sleeping, and speaking occur. Weak and floppy muscles. "
        "It limits their ability to walk."
    )
    assert {(f.id, text[f.start : f.end]) for f in annotate(text, index)} == {
        ("a", "Difficulties eating, sleeping"),
        ("b", "Weak and floppy muscles"),
        ("c", "limits their ability to walk"),
    }


CURATING = Path(__file__).parent.parent / "docs" / "curating.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", CURATING.read_text(encoding="utf-8"), re.S)


def test_the_walkthrough_prints_what_docs_curating_shows(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "documents").mkdir()
    shutil.copy(LEAFLET, tmp_path / "documents" / "leaflet.txt")
    monkeypatch.chdir(tmp_path)
    blocks = _blocks("text")
    assert len(blocks) == 4
    for block in blocks:
        command, *shown = block.rstrip("\n").split("\n")
        assert command.startswith("$ .venv/bin/omskg "), command
        assert main(shlex.split(command.removeprefix("$ .venv/bin/omskg "))) == 0, command
        captured = capsys.readouterr()
        printed = (captured.err + captured.out).rstrip("\n").split("\n")
        if shown[-1] == "…":
            shown = shown[:-1]
            printed = printed[: len(shown)]
        assert printed == shown, command
    (record,) = _blocks("yaml")
    assert record in Path("drafts.yaml").read_text(encoding="utf-8")
