"""Every SHACL shape has a conforming and a broken example; the broken one must fail
with the expected shape, focus node and message.

Example files are ``tests/shapes/{valid,invalid}/Snn-*.ttl``. Each is validated
together with the ontology (so class hierarchies and value lists are known). An
invalid example starts with comment lines naming what it must raise::

    # focus: omse:bad-entity
    # message: entity needs exactly one English label
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph

from omskg.curation.ontology import load_ontology
from omskg.curation.validate import load_shapes, validate
from omskg.paths import project_root
from shape_examples import assert_fails_as_expected

ROOT = project_root()
EXAMPLES = Path(__file__).parent / "shapes"
SHAPES = load_shapes(ROOT)
ONTOLOGY = load_ontology(ROOT)
SHAPE_IDS = sorted(
    str(s).rsplit("/", 1)[1] for s in SHAPES.subjects() if re.search(r"/S\d\d-[a-z-]+$", str(s))
)


def _examples(kind: str) -> list[Path]:
    return sorted((EXAMPLES / kind).glob("S*.ttl"))


def _graph(path: Path) -> Graph:
    graph = Graph()
    graph += ONTOLOGY
    graph.parse(path, format="turtle")
    return graph


def test_every_shape_has_both_examples() -> None:
    assert len(SHAPE_IDS) >= 19
    for kind in ("valid", "invalid"):
        covered = {p.name[:3] for p in _examples(kind)}
        missing = [s for s in SHAPE_IDS if s[:3] not in covered]
        assert not missing, f"shapes without a {kind} example: {missing}"


@pytest.mark.parametrize("path", _examples("valid"), ids=lambda p: p.stem)
def test_valid_example_conforms(path: Path) -> None:
    report = validate(_graph(path), shapes=SHAPES)
    assert report.findings == (), report.text()


@pytest.mark.parametrize("path", _examples("invalid"), ids=lambda p: p.stem)
def test_invalid_example_fails_as_expected(path: Path) -> None:
    assert_fails_as_expected(path, validate(_graph(path), shapes=SHAPES))
