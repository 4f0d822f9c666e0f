"""SHACL shapes compiled to SPARQL, run on the pyoxigraph store that already holds the data.

pySHACL, the reference engine, reads the data into rdflib and checks node by node: on the
2.4 million triples of the linked HPO graph that would take well over an hour
(docs/validation.md). Here each shape becomes a few SELECT queries (one per property
shape for its value constraints, one for its counts, one per SPARQL-based constraint),
evaluated by Oxigraph over the named graph in the store; a query's solutions are the
validation results. No engine on PyPI does this: the Rust engines read the data again
into a store of their own (bench/validate.py measures them).

Compiled, with the meaning SHACL gives them (a value that cannot be compared violates a
range constraint; ``sh:in`` compares terms, not values): targets ``sh:targetClass``
(with the subclasses the data states), ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf`` and ``sh:SPARQLTarget``; paths of predicates, inverse,
alternative and sequence paths; ``sh:minCount``, ``sh:maxCount``, ``sh:datatype``,
``sh:class``, ``sh:nodeKind``, ``sh:in``, ``sh:hasValue``, ``sh:pattern`` (with
``sh:flags``), ``sh:minLength``, ``sh:maxLength``, ``sh:minInclusive``,
``sh:maxInclusive``, ``sh:minExclusive``, ``sh:maxExclusive``, ``sh:languageIn``,
``sh:lessThan``, ``sh:lessThanOrEquals`` and SPARQL-based constraints (``sh:sparql``
with ``sh:select``, ``$this`` pre-bound to each target). Anything else in a shape
(``sh:or``, ``sh:node``, ``sh:uniqueLang``...) is refused with :class:`OmsError` naming
the shape and the feature, never skipped: a shape is checked whole or not at all.
``tests/test_linked_shapes.py`` holds the results to pySHACL's on every example.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from omskg.errors import OmsError

# Constraint parameters compiled here, by kind.
_VALUE_PARAMETERS = {
    SH.datatype: "Datatype",
    SH["class"]: "Class",
    SH.nodeKind: "NodeKind",
    SH["in"]: "In",
    SH.pattern: "Pattern",
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH.minInclusive: "MinInclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minExclusive: "MinExclusive",
    SH.maxExclusive: "MaxExclusive",
    SH.languageIn: "LanguageIn",
}
_PAIR_PARAMETERS = {SH.lessThan: ("LessThan", "<"), SH.lessThanOrEquals: ("LessThanOrEquals", "<=")}
_COUNT_PARAMETERS = {SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.hasValue: "HasValue"}
# Shape vocabulary that carries no constraint of its own.
_DESCRIPTIVE = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    SH.path,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.flags,
    SH.property,
    SH.sparql,
    SH.deactivated,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.declare,
}
_RANGE = {"MinInclusive": ">=", "MaxInclusive": "<=", "MinExclusive": ">", "MaxExclusive": "<"}
_NODE_KINDS = {
    SH.IRI: "isIRI(?value)",
    SH.Literal: "isLiteral(?value)",
    SH.BlankNode: "isBlank(?value)",
    SH.BlankNodeOrIRI: "!isLiteral(?value)",
    SH.BlankNodeOrLiteral: "!isIRI(?value)",
    SH.IRIOrLiteral: "!isBlank(?value)",
}
# Datatypes whose lexical forms SPARQL can check by casting (an ill-typed literal violates
# sh:datatype); for others the datatype IRI alone is compared.
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.dateTime, XSD.date}


@dataclass(frozen=True)
class Check:
    """One compiled query: its solutions bind ``?this`` (the focus node), perhaps ``?value``,
    and for value constraints ``?component``, the name of the constraint that failed."""

    shape: URIRef | BNode  # the node shape
    source: URIRef | BNode  # the shape that holds the constraint (node or property shape)
    path: str | None  # the path in SPARQL syntax, None for a node's own constraints
    severity: str
    message: str
    component: str | None  # None when the query names it in ?component
    query: str


@dataclass(frozen=True, order=True)
class Result:
    """One validation result, as pySHACL reports it (its sort key is its text)."""

    shape: str
    focus: str
    path: str
    severity: str
    component: str
    value: str
    message: str


Key = tuple[str, str, str, str, str]  # shape, focus node, path, severity, constraint component


def result_key(result: Result) -> Key:
    """What two engines must agree on for a result (messages and values may be worded apart)."""
    return (result.shape, result.focus, result.path, result.severity, result.component)


def pyshacl_keys(data: Graph, shapes: Graph) -> set[Key]:
    """pySHACL's results on ``data``, keyed as :func:`result_key` keys this engine's: the
    reference the compiled checks are held to (tests and ``make bench-validate``)."""
    from pyshacl import validate

    _, report, _ = validate(data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    found = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        shape = report.value(result, SH.sourceShape)
        if isinstance(shape, BNode):  # a property shape: name the node shape that holds it
            shape = shapes.value(None, SH.property, shape)
        path = report.value(result, SH.resultPath)
        found.add(
            (
                f"<{shape}>",
                str(report.value(result, SH.focusNode)),
                f"<{path}>" if path is not None else "",
                str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            )
        )
    return found


def compile_shapes(shapes: Graph, data_classes: dict[Node, list[Node]] | None = None) -> list[Check]:
    """The checks of every node shape of ``shapes``. ``data_classes`` maps a target class to
    itself and its subclasses in the data (:func:`subclasses`); by default, the class alone."""
    checks = []
    for shape in sorted(set(shapes.subjects(RDF.type, SH.NodeShape)), key=str):
        if shapes.value(shape, SH.deactivated) == Literal(True):
            continue
        target = _target(shapes, shape, data_classes or {})
        if target is None:
            continue
        classes = data_classes or {}
        checks += list(_shape_checks(_Source(shapes, shape, shape, None, target, classes)))
        for prop in sorted(shapes.objects(shape, SH.property), key=str):
            path = _path(shapes, shapes.value(prop, SH.path), prop)
            checks += list(_shape_checks(_Source(shapes, shape, prop, path, target, classes)))
    return checks


def subclasses(store: ox.Store, shapes: Graph, graph: ox.NamedNode | None) -> dict[Node, list[Node]]:
    """Each class ``shapes`` name (targets, ``sh:class``) with its subclasses as the data in
    ``graph`` states them."""
    found: dict[Node, list[Node]] = {}
    for cls in sorted({*shapes.objects(None, SH.targetClass), *shapes.objects(None, SH["class"])}, key=str):
        if isinstance(cls, URIRef):
            query = f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* <{cls}> }}"
            rows = _solutions(store, query, graph)
            found[cls] = sorted({cls, *(URIRef(row["c"].value) for row in rows)}, key=str)
    return found


def _solutions(store: ox.Store, query: str, graph: ox.NamedNode | None) -> ox.QuerySolutions:
    solutions = store.query(query, default_graph=graph) if graph else store.query(query)
    if not isinstance(solutions, ox.QuerySolutions):
        raise OmsError(f"a compiled check is not a SELECT query: {query[:80]}")
    return solutions


def run_checks(
    store: ox.Store, checks: list[Check], graph: ox.NamedNode | None = None, *, workers: int = 2
) -> list[Result]:
    """Every result of ``checks`` on ``graph`` of ``store`` (its default graph if None), sorted.
    The checks run on ``workers`` threads: pyoxigraph evaluates a query without holding the
    GIL, so two threads take 14 s where one takes 34 s on the HPO graph (docs/validation.md)."""
    with ThreadPoolExecutor(max(1, workers)) as pool:
        found = pool.map(lambda check: _check_results(store, check, graph), checks)
        return sorted({result for results in found for result in results})


def _check_results(store: ox.Store, check: Check, graph: ox.NamedNode | None) -> list[Result]:
    return [
        Result(
            shape=_n3(check.shape),
            focus=_focus(row["this"]),
            path=check.path or "",
            severity=check.severity,
            component=check.component or str(row["component"].value),
            value=_text(row["value"] if "value" in check.query else None),
            message=check.message,
        )
        for row in _solutions(store, check.query, graph)
    ]


def _focus(term: ox.NamedNode | ox.BlankNode) -> str:
    """A focus node as pySHACL names it: an IRI as itself, a blank node by its label."""
    return term.value


def _text(term: object) -> str:
    return "" if term is None else str(term)


def _n3(node: Node) -> str:
    return f"<{node}>" if isinstance(node, URIRef) else f"_:{node}"


# --- targets --------------------------------------------------------------------------------


def _target(shapes: Graph, shape: Node, classes: dict[Node, list[Node]]) -> str | None:
    """A group pattern binding ``?this`` to each target of ``shape`` once; None when it has none.
    Instances of one class need no DISTINCT: Oxigraph then joins the constraint to the index."""
    members = sorted(
        {c for cls in shapes.objects(shape, SH.targetClass) for c in classes.get(cls, [cls])}, key=str
    )
    parts = []
    if members:
        parts.append(f"VALUES ?_class {{ {' '.join(f'<{c}>' for c in members)} }} ?this a ?_class .")
    for node in sorted(shapes.objects(shape, SH.targetNode), key=str):
        parts.append(f"VALUES ?this {{ {_term(node)} }}")
    for predicate in sorted(shapes.objects(shape, SH.targetSubjectsOf), key=str):
        parts.append(f"?this <{predicate}> ?_object .")
    for predicate in sorted(shapes.objects(shape, SH.targetObjectsOf), key=str):
        parts.append(f"?_subject <{predicate}> ?this .")
    for target in sorted(shapes.objects(shape, SH.target), key=str):
        select = shapes.value(target, SH.select)
        if shapes.value(target, RDF.type) != SH.SPARQLTarget or select is None:
            raise OmsError(f"shape {_n3(shape)}: only sh:SPARQLTarget targets can be compiled")
        parts.append(_without_prefixes(str(select)))
    if not parts:
        return None
    if len(parts) == 1 and len(members) == 1:
        return f"?this a <{members[0]}> ."
    union = " UNION ".join(f"{{ {part} }}" for part in parts)
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def _without_prefixes(select: str) -> str:
    """A SELECT query as a subquery: its PREFIX lines are declared by the whole query instead."""
    return "{ " + re.sub(r"(?im)^\s*PREFIX\s+\S*\s*<[^>]*>\s*$", "", select).strip() + " }"


# --- paths ----------------------------------------------------------------------------------


def _path(shapes: Graph, path: Node | None, shape: Node) -> str:
    """A SHACL path in SPARQL property path syntax."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if isinstance(path, BNode):
        if shapes.value(path, RDF.first) is not None:
            return "(" + "/".join(_path(shapes, p, shape) for p in Collection(shapes, path)) + ")"
        for key, form in (
            (SH.inversePath, "^{}"),
            (SH.zeroOrMorePath, "{}*"),
            (SH.oneOrMorePath, "{}+"),
            (SH.zeroOrOnePath, "{}?"),
        ):
            inner = shapes.value(path, key)
            if inner is not None:
                return "(" + form.format(_path(shapes, inner, shape)) + ")"
        alternatives = shapes.value(path, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(_path(shapes, p, shape) for p in Collection(shapes, alternatives)) + ")"
    raise OmsError(f"shape {_n3(shape)}: cannot compile the path {path!r}")


# --- constraints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A shape whose own constraints are compiled: ``source`` is ``node_shape`` itself, or one
    of its property shapes with ``path``."""

    shapes: Graph
    node_shape: Node
    source: Node
    path: str | None
    target: str
    classes: dict[Node, list[Node]]

    def base(self) -> dict[str, object]:
        """The fields of a :class:`Check` this source fixes."""
        severity = str(self.shapes.value(self.source, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
        message = str(self.shapes.value(self.source, SH.message) or "")
        return {
            "shape": self.node_shape,
            "source": self.source,
            "path": self.path,
            "severity": severity,
            "message": message,
        }


def _shape_checks(src: _Source) -> Iterator[Check]:
    """The checks of the constraints ``src.source`` states itself."""
    shapes, source, path, target = src.shapes, src.source, src.path, src.target
    _refuse_unknown(shapes, source)
    base = src.base()
    # a node's own value is the node: its values are the targets themselves
    values = f"{target} BIND (?this AS ?value)" if path is None else f"?this {path} ?value ."
    conditions = [
        (name, condition)
        for parameter, name in _VALUE_PARAMETERS.items()
        for value in sorted(shapes.objects(source, parameter), key=str)
        if (condition := _violation(src, name, value)) is not None
    ]
    if conditions:
        binds = " ".join(f"BIND (COALESCE({c}, true) AS ?_c{i})" for i, (_, c) in enumerate(conditions))
        names = " ".join(f'"{n}ConstraintComponent"' for n in dict(conditions))
        failed = " || ".join(
            f'(?component = "{n}ConstraintComponent" && ?_c{i})' for i, (n, _) in enumerate(conditions)
        )
        # the values that fail first, on their own (a scan of the path), then whether their
        # node is a target: Oxigraph evaluates a subquery before the join
        query = (
            f"SELECT ?this ?value ?component WHERE {{ {{ SELECT ?this ?value ?component WHERE {{ "
            f"{values} {binds} VALUES ?component {{ {names} }} FILTER ({failed}) }} }} {target} }}"
        )
        yield Check(**base, component=None, query=query)  # type: ignore[arg-type]
    for parameter, (name, operator) in _PAIR_PARAMETERS.items():
        for other in shapes.objects(source, parameter):
            query = (
                f"SELECT ?this ?value WHERE {{ {{ SELECT ?this ?value WHERE {{ {values} ?this <{other}> "
                f"?_other . FILTER (!COALESCE(?value {operator} ?_other, false)) }} }} {target} }}"
            )
            yield Check(**base, component=f"{name}ConstraintComponent", query=query)  # type: ignore[arg-type]
    if path is not None:
        yield from _count_checks(shapes, source, path, target, base)
    for constraint in sorted(shapes.objects(source, SH.sparql), key=str):
        yield _sparql_check(shapes, constraint, path, target, base)


def _count_checks(
    shapes: Graph, source: Node, path: str, target: str, base: dict[str, object]
) -> Iterator[Check]:
    low, high = shapes.value(source, SH.minCount), shapes.value(source, SH.maxCount)
    if low is not None and int(low) == 1:  # type: ignore[call-overload]
        query = f"SELECT ?this WHERE {{ {target} MINUS {{ ?this {path} ?_v }} }}"
        yield Check(**base, component="MinCountConstraintComponent", query=query)  # type: ignore[arg-type]
    elif low is not None:
        query = (
            f"SELECT ?this WHERE {{ {target} OPTIONAL {{ ?this {path} ?_v }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?_v) < {int(low)})"  # type: ignore[call-overload]
        )
        yield Check(**base, component="MinCountConstraintComponent", query=query)  # type: ignore[arg-type]
    if high is not None:  # only nodes with a value can have too many: start from the values
        query = (
            f"SELECT ?this WHERE {{ {{ SELECT ?this WHERE {{ ?this {path} ?_v }} GROUP BY ?this "
            f"HAVING (COUNT(DISTINCT ?_v) > {int(high)}) }} {target} }}"  # type: ignore[call-overload]
        )
        yield Check(**base, component="MaxCountConstraintComponent", query=query)  # type: ignore[arg-type]
    for value in sorted(shapes.objects(source, SH.hasValue), key=str):
        query = f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ ?this {path} {_term(value)} }} }}"
        yield Check(**base, component="HasValueConstraintComponent", query=query)  # type: ignore[arg-type]


def _sparql_check(
    shapes: Graph, constraint: Node, path: str | None, target: str, base: dict[str, object]
) -> Check:
    """A SPARQL-based constraint with ``$this`` pre-bound: the targets are the first pattern of
    the query's WHERE group, so that every later pattern and filter sees ``$this`` bound."""
    select = shapes.value(constraint, SH.select)
    if select is None:
        raise OmsError(f"shape {base['shape']}: a SPARQL constraint without sh:select cannot be compiled")
    text = str(select)
    if path is not None:
        text = text.replace("$PATH", path)
    opening = re.search(r"(?i)\bWHERE\s*\{", text)
    if opening is None:
        raise OmsError(f"shape {base['shape']}: the SPARQL constraint's query has no WHERE {{")
    query = text[: opening.end()] + f" {target} " + text[opening.end() :]
    prefixes = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
        for declaration in shapes.objects(constraint, SH.prefixes)
        for d in shapes.objects(declaration, SH.declare)
    )
    fields = {**base, "message": str(shapes.value(constraint, SH.message) or base["message"])}
    return Check(**fields, component="SPARQLConstraintComponent", query=prefixes + query)  # type: ignore[arg-type]


def _violation(src: _Source, name: str, value: Node) -> str | None:
    """A SPARQL expression on ``?value`` that is true when ``value`` of constraint ``name`` fails."""
    shapes, source = src.shapes, src.source
    if name == "Datatype":
        typed = f"isLiteral(?value) && sameTerm(DATATYPE(?value), <{value}>)"
        if value in _CASTABLE:
            typed += f" && COALESCE(sameTerm(DATATYPE(<{value}>(STR(?value))), <{value}>), false)"
        return f"!({typed})"
    if name == "Class":
        known = src.classes.get(value)
        if known is None:
            return f"NOT EXISTS {{ ?value a/<{RDFS.subClassOf}>* <{value}> }}"
        return f"NOT EXISTS {{ VALUES ?_k {{ {' '.join(f'<{c}>' for c in known)} }} ?value a ?_k }}"
    if name == "NodeKind":
        return f"!({_NODE_KINDS[value]})"  # type: ignore[index]
    if name == "In":
        members = list(Collection(shapes, value))
        return "!(" + (" || ".join(f"sameTerm(?value, {_term(m)})" for m in members) or "false") + ")"
    if name == "Pattern":
        flags = shapes.value(source, SH.flags)
        extra = f", {_term(Literal(str(flags)))}" if flags else ""
        return f"isBlank(?value) || !REGEX(STR(?value), {_term(Literal(str(value)))}{extra})"
    if name in ("MinLength", "MaxLength"):
        operator = "<" if name == "MinLength" else ">"
        return f"isBlank(?value) || STRLEN(STR(?value)) {operator} {int(value)}"  # type: ignore[call-overload]
    if name in _RANGE:
        return f"!COALESCE(?value {_RANGE[name]} {_term(value)}, false)"
    if name == "LanguageIn":
        tags = " || ".join(f'langMatches(LANG(?value), "{t}")' for t in Collection(shapes, value))
        return f"!isLiteral(?value) || !({tags or 'false'})"
    return None


def _refuse_unknown(shapes: Graph, source: Node) -> None:
    known = {*_VALUE_PARAMETERS, *_PAIR_PARAMETERS, *_COUNT_PARAMETERS, *_DESCRIPTIVE}
    for predicate in sorted(set(shapes.predicates(source)), key=str):
        if predicate not in known:
            name = str(predicate).replace(str(SH), "sh:")
            raise OmsError(f"shape {_n3(source)}: {name} cannot be compiled to SPARQL; validate with pySHACL")


def _term(node: Node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        if node.language:
            return str(ox.Literal(str(node), language=node.language))
        datatype = ox.NamedNode(str(node.datatype)) if node.datatype else None
        return str(ox.Literal(str(node), datatype=datatype))
    raise OmsError(f"a blank node {node} cannot be a constant of a compiled shape")
