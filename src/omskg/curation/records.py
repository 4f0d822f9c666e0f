"""Read the curated YAML records of ``data/``, keeping the file and line of each.

The records are plain values here; :mod:`omskg.curation.build` checks them against the
ontology and the prefix map and turns them into RDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from omskg.curation.anchoring import QUOTE_PARTS, Quote
from omskg.errors import DataError, Problem
from omskg.input_limits import (
    NESTING_ENV,
    YAML_BYTES_ENV,
    BoundedYamlLoader,
    InputRefused,
    decode_utf8,
    limit,
    read_limited,
)

# A statement with this predicate and no `value` states the subject's own definition.
DEFINITION = "IAO:0000115"


class Located(dict[str, Any]):
    """A YAML mapping that remembers where it starts."""

    file: str = ""
    line: int = 0


def _construct_located(loader: BoundedYamlLoader, node: yaml.MappingNode) -> Located:
    mapping = Located({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})
    mapping.file = loader.source_name
    mapping.line = node.start_mark.line + 1
    return mapping


class _LineLoader(BoundedYamlLoader):
    """The bounded loader (no aliases, no deep nesting) whose mappings are :class:`Located`."""

    yaml_constructors: ClassVar[dict[Any, Any]] = {
        **BoundedYamlLoader.yaml_constructors,
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG: _construct_located,
    }


def read_yaml_list(
    path: Path, name: str, *, max_bytes: int | None = None, max_depth: int | None = None
) -> list[Located]:
    """Parse ``path`` as a YAML list of mappings; ``name`` is the path shown in errors.

    A file over ``max_bytes``, not UTF-8, with an alias or with collections nested deeper
    than ``max_depth`` is refused (see :mod:`omskg.input_limits` for the defaults).
    """
    size, depth = limit(max_bytes, YAML_BYTES_ENV, "max_bytes"), limit(max_depth, NESTING_ENV, "max_depth")
    try:
        loader = _LineLoader(decode_utf8(read_limited(path, name, size, "a curated YAML file"), name))
    except InputRefused as exc:
        raise DataError([Problem(name, exc.line, "", exc.message)]) from None
    loader.source_name, loader.max_depth = name, depth
    try:
        data = loader.get_single_data()
    except InputRefused as exc:
        raise DataError([Problem(name, exc.line, "", exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError([Problem(name, line, "", f"malformed YAML: {reason}")]) from None
    finally:
        loader.dispose()
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, Located) for item in data):
        raise DataError([Problem(name, 1, "", "expected a list of records (`- key: value`)")])
    return data


@dataclass(frozen=True)
class Evidence:
    """A span of a source document (code points, end exclusive) with its evidence code and the
    quote that finds it again in another copy (:mod:`omskg.curation.anchoring`)."""

    source: str
    start: int
    end: int
    code: str | None
    line: int
    quote: Quote | None = None


@dataclass(frozen=True)
class Clause:
    """Qualifiers of one part of a statement (its effect, or whom it is restricted to).

    A hedge inside a clause (``quantifier``, ``certainty``) applies to that clause alone,
    not to the whole statement: "improvement is often rapid" is an effect whose speed is
    hedged, not a treatment that is often given.
    """

    kind: str  # a key of CLAUSE_KINDS
    qualifiers: dict[str, list[Any]]
    line: int


# Record key of each kind of clause.
CLAUSE_KINDS = ("effects", "restrictions")


@dataclass(frozen=True)
class Statement:
    subject: str
    predicate: str
    object: Any
    is_value: bool
    qualifiers: dict[str, list[Any]]
    evidence: tuple[Evidence, ...]
    clauses: tuple[Clause, ...]
    note: str | None
    file: str
    line: int


@dataclass
class CuratedData:
    """All records of ``data/``: keyed records by id, and statements in file order."""

    records: dict[str, Located] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)


# The fields each kind of record may have; any other key is a typo to report, not to drop.
FIELDS = {
    "source": {
        "id",
        "file",
        "sha256",
        "characters",
        "title",
        "creator",
        "publisher",
        "published",
        "description",
        "evidence_code",
    },
    "entity": {
        "id",
        "type",
        "label",
        "definition",
        "synonyms",
        "related_synonyms",
        "spellings",
        "mappings",
        "unmapped",
        "note",
        "draft",
    },
    "mapping": {"id", "predicate", "label", "source"},
    "reference": {
        "id",
        "type",
        "authors",
        "title",
        "container",
        "editors",
        "volume",
        "issue",
        "pages",
        "date",
        "publisher",
        "place",
        "note",
    },
    "organisation": {"id", "label", "definition", "unmapped", "note", "address", "telephone", "fax", "url"},
    "statement": {
        "subject",
        "predicate",
        "object",
        "value",
        "qualifiers",
        *CLAUSE_KINDS,
        "evidence",
        "note",
        "draft",
    },
    "evidence": {"source", "start", "end", "code", *QUOTE_PARTS},
}

_RECORD_FILES = {
    "sources.yaml": "source",
    "references.yaml": "reference",
    "organisations.yaml": "organisation",
}


def load_curated(data_dir: Path, *, root: Path) -> CuratedData:
    """Read every record file under ``data_dir``; raise :class:`DataError` listing all problems."""
    curated = CuratedData()
    problems: list[Problem] = []
    files = [(data_dir / name, kind) for name, kind in _RECORD_FILES.items()]
    files += [(path, "entity") for path in sorted((data_dir / "entities").glob("*.yaml"))]
    for path, kind in files:
        if not path.is_file():
            continue
        for record in _read(path, root, problems):
            _add_record(curated, record, kind, problems)
    for path in sorted((data_dir / "statements").glob("*.yaml")):
        for record in _read(path, root, problems):
            statement = _statement(record, problems)
            if statement is not None:
                curated.statements.append(statement)
    if problems:
        raise DataError(problems)
    return curated


def _read(path: Path, root: Path, problems: list[Problem]) -> list[Located]:
    try:
        name = str(path.relative_to(root))
    except ValueError:
        name = str(path)
    try:
        return read_yaml_list(path, name)
    except DataError as exc:
        problems.extend(exc.problems)
        return []


def _unknown_fields(record: object, kind: str, problems: list[Problem], fallback: Located) -> None:
    """Report keys that the kind of record does not have (a misspelt key would lose data)."""
    if not isinstance(record, dict):
        return
    where = record if isinstance(record, Located) else fallback
    for key in sorted(set(record) - FIELDS[kind]):
        allowed = ", ".join(sorted(FIELDS[kind]))
        problems.append(Problem(where.file, where.line, key, f"unknown {kind} field; use one of: {allowed}"))


def _refuse_draft(record: Located, problems: list[Problem]) -> None:
    """A record marked ``draft`` (by ``omskg annotate --draft``) is not taken until reviewed."""
    if "draft" in record:
        problems.append(
            Problem(
                record.file,
                record.line,
                str(record.get("id") or record.get("subject") or ""),
                "a draft (from `omskg annotate --draft`): read it against its passage, mend it, "
                "then remove `draft:` for the build to take it",
            )
        )


def _add_record(curated: CuratedData, record: Located, kind: str, problems: list[Problem]) -> None:
    _unknown_fields(record, kind, problems, record)
    if "draft" in FIELDS[kind]:  # elsewhere `draft` is an unknown field, reported as such
        _refuse_draft(record, problems)
    for mapping in record.get("mappings") or [] if kind == "entity" else []:
        _unknown_fields(mapping, "mapping", problems, record)
    ident = record.get("id")
    if not isinstance(ident, str):
        problems.append(Problem(record.file, record.line, "", "record has no `id`"))
        return
    if ident in curated.records:
        first = curated.records[ident]
        problems.append(
            Problem(record.file, record.line, ident, f"id already used at {first.file}:{first.line}")
        )
        return
    curated.records[ident] = record
    curated.kinds[ident] = kind


def _statement(record: Located, problems: list[Problem]) -> Statement | None:
    _unknown_fields(record, "statement", problems, record)
    _refuse_draft(record, problems)
    for item in record.get("evidence") or []:
        _unknown_fields(item, "evidence", problems, record)
    where = (record.file, record.line)
    missing = [key for key in ("subject", "predicate", "evidence") if key not in record]
    has_object, has_value = "object" in record, "value" in record
    definitional = record.get("predicate") == DEFINITION and not has_object
    if missing or (has_object == has_value and not definitional):
        what = ", ".join(f"`{key}`" for key in missing) or "exactly one of `object` and `value`"
        term = str(record.get("subject", ""))
        problems.append(Problem(*where, term, f"statement needs {what}"))
        return None
    qualifiers = _qualifiers(record.get("qualifiers"), "qualifiers", record, problems)
    clauses = _clauses(record, problems)
    if qualifiers is None or clauses is None:
        return None
    evidence = []
    for item in record["evidence"] or []:
        try:
            evidence.append(
                Evidence(
                    str(item["source"]),
                    item["start"],
                    item["end"],
                    item.get("code"),
                    getattr(item, "line", record.line),
                    _quote(item),
                )
            )
        except (KeyError, TypeError):
            problems.append(
                Problem(*where, str(record["subject"]), "evidence needs `source`, `start` and `end`")
            )
    return Statement(
        subject=str(record["subject"]),
        predicate=str(record["predicate"]),
        object=record.get("value") if has_value or definitional else record["object"],
        is_value=has_value or definitional,
        qualifiers=qualifiers,
        evidence=tuple(evidence),
        clauses=clauses,
        note=record.get("note"),
        file=record.file,
        line=record.line,
    )


def _quote(item: dict[str, Any]) -> Quote | None:
    """The evidence's quote, or None when it gives none of its parts (the build reports a
    partial one)."""
    if not any(part in item for part in QUOTE_PARTS):
        return None
    return Quote(*(str(item.get(part) or "") for part in QUOTE_PARTS))


def _qualifiers(
    raw: object, key: str, where: Located, problems: list[Problem]
) -> dict[str, list[Any]] | None:
    """``name: value`` or ``name: [values]`` as ``name -> [values]``; None (reported) if not a mapping."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        line = raw.line if isinstance(raw, Located) else where.line
        problems.append(Problem(where.file, line, key, f"`{key}` must be a mapping of name: value"))
        return None
    return {str(name): (list(value) if isinstance(value, list) else [value]) for name, value in raw.items()}


def _clauses(record: Located, problems: list[Problem]) -> tuple[Clause, ...] | None:
    clauses: list[Clause] = []
    for kind in CLAUSE_KINDS:
        items = record.get(kind) or []
        if not isinstance(items, list) or (not items and kind in record):
            problems.append(
                Problem(record.file, record.line, kind, f"`{kind}` must be a list of qualifier mappings")
            )
            return None
        for item in items:
            qualifiers = _qualifiers(item, kind, record, problems)
            if qualifiers is None:
                return None
            if not qualifiers:
                problems.append(
                    Problem(record.file, record.line, kind, f"an item of `{kind}` has no qualifiers")
                )
                return None
            clauses.append(Clause(kind, qualifiers, item.line if isinstance(item, Located) else record.line))
    return tuple(clauses)
