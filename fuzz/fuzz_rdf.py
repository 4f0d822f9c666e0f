"""Fuzz the project's RDF reader and exports, one input format at a time (atheris / libFuzzer).

    python fuzz/fuzz_rdf.py FORMAT [libFuzzer options] [input files to replay]

FORMAT is one of turtle, nt, nquads, trig, jsonld, rdfxml or sparql. For an RDF format
each input is read by :func:`omskg.rdfio.read_graph`; an input it reads is written by the
project's export of that format and read again, and the second graph must equal the first
(blank nodes aside, lexical forms and language tags exactly). For ``sparql`` the input
goes to :func:`omskg.sparql_guard.check_query`.

Expected outcomes are no findings: :class:`OmsError` from the reader, the guard, or an
export that refuses what its syntax cannot carry. Any other exception, an export the
reader cannot read back, a changed graph, a hang (``-timeout``) or a crash is one, and
libFuzzer saves its input into ``fuzz/findings/``. Without input files the run starts from
the seeds in ``fuzz/corpus/FORMAT/`` and keeps what it learns in ``fuzz/learned/FORMAT/``.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["omskg", "rdflib", "pyld", "pyparsing"]):
    from rdflib import XSD, Graph, Literal
    from rdflib.compare import to_canonical_graph

    from omskg.errors import OmsError
    from omskg.rdfio import lexical_forms_kept, read_graph
    from omskg.release.jsonld import term_key, to_jsonld
    from omskg.release.rdf_writers import to_nquads, to_ntriples, to_rdfxml, to_trig, to_turtle
    from omskg.sparql_guard import check_query

HERE = Path(__file__).resolve().parent
# format -> (file suffix the reader knows it by, the project's export of that format)
RDF_TARGETS: dict[str, tuple[str, Callable[[Graph], str]]] = {
    "turtle": (".ttl", to_turtle),
    "nt": (".nt", to_ntriples),
    "nquads": (".nq", to_nquads),
    "trig": (".trig", to_trig),
    "jsonld": (".jsonld", to_jsonld),
    "rdfxml": (".rdf", to_rdfxml),
}
FORMATS = [*RDF_TARGETS, "sparql"]


class RoundTripError(AssertionError):
    """An export the reader cannot read back, or one that reads back as another graph."""


def canonical(graph: Graph) -> list[str]:
    """The triples with blank nodes relabelled canonically, each as exact term keys;
    ``"x"^^xsd:string`` counts as ``"x"`` (the same literal in RDF 1.1)."""
    simple = Graph()
    for s, p, o in graph:
        simple.add((s, p, Literal(str(o)) if isinstance(o, Literal) and o.datatype == XSD.string else o))
    with lexical_forms_kept():
        relabelled = to_canonical_graph(simple)
    return sorted(repr(tuple(term_key(term) for term in triple)) for triple in relabelled)


def round_trip(data: bytes, suffix: str, export: Callable[[Graph], str], folder: Path) -> None:
    """Read ``data``, write it with ``export``, read that back; raise on any difference."""
    source = folder / f"input{suffix}"
    source.write_bytes(data)
    try:
        first = read_graph(source)
        text = export(first)
    except OmsError:
        return
    written = folder / f"export{suffix}"
    written.write_bytes(text.encode("utf-8"))
    try:
        again = read_graph(written)
    except OmsError as exc:
        raise RoundTripError(f"the export cannot be read back: {exc}\n{text}") from None
    before, after = canonical(first), canonical(again)
    if before != after:
        lost = "\n".join(line for line in before if line not in after)
        gained = "\n".join(line for line in after if line not in before)
        raise RoundTripError(f"the export reads back changed\nlost:\n{lost}\ngained:\n{gained}\n{text}")


def guard(data: bytes) -> None:
    """The federation guard on ``data`` as a query or update: it refuses with OmsError or passes."""
    try:
        check_query(data.decode("utf-8"))
    except (UnicodeDecodeError, OmsError):
        return


def target(name: str, folder: Path) -> Callable[[bytes], None]:
    """The one-input test of format ``name``."""
    if name == "sparql":
        return guard
    suffix, export = RDF_TARGETS[name]
    return lambda data: round_trip(data, suffix, export, folder)


def libfuzzer_arguments(name: str, options: list[str]) -> list[str]:
    """libFuzzer's argv: the user's options, then the work and seed folders unless the user
    named inputs to replay, with defaults for the per-input time limit and the findings folder."""
    findings = HERE / "findings"
    findings.mkdir(exist_ok=True)
    arguments = [sys.argv[0], f"-artifact_prefix={findings}/{name}-", "-timeout=20", "-max_len=4096"]
    arguments += options
    if not [option for option in options if not option.startswith("-")]:
        work = HERE / "learned" / name
        work.mkdir(parents=True, exist_ok=True)
        arguments += [str(work), str(HERE / "corpus" / name)]
    return arguments


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in FORMATS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(FORMATS)}}} [libFuzzer options] [inputs]")
    name, options = sys.argv[1], sys.argv[2:]
    # rdflib logs a traceback for every ill-typed literal, and warns about odd ones
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    # the reader reads files; libFuzzer exits without cleaning up
    scratch = HERE / "learned" / f"scratch-{name}"
    scratch.mkdir(parents=True, exist_ok=True)
    atheris.Setup(libfuzzer_arguments(name, options), target(name, scratch))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
