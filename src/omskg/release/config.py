"""The release configuration (``data/release.yaml``): version, date, title, licence, agents,
and what each exported file is (its format, and whether it holds the whole graph, part of it or
no RDF), read within the YAML limits and checked before anything is described.
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from rdflib import URIRef

from omskg.errors import DataError, OmsError, Problem
from omskg.input_limits import InputRefused, load_yaml
from omskg.paths import project_root
from omskg.prefixes import PrefixMap, load_prefix_map

RELEASE_FILE = "data/release.yaml"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
CONTENTS = ("graph", "part", "other")


# ---------------------------------------------------------------- release facts


@dataclass(frozen=True)
class FileFormat:
    """A file format, found by file-name ending."""

    ending: str
    label: str
    media_type: str
    w3c: str | None
    standard: str | None
    rdf: bool


@dataclass(frozen=True)
class FileRule:
    """What the files matching ``match`` hold (``graph``, ``part`` or ``other``) and how to name them."""

    match: str
    content: str
    title: str
    description: str


@dataclass(frozen=True)
class Release:
    """The release facts of ``data/release.yaml``."""

    summary: URIRef
    release_base: str
    landing_page: URIRef
    version: str
    previous_version: str | None
    issued: datetime.date
    title: str
    description: str
    keywords: tuple[str, ...]
    licence: URIRef
    rights: str
    language: URIRef
    accrual_periodicity: URIRef
    agents: dict[str, tuple[URIRef, str]]
    creators: tuple[str, ...]
    publisher: str
    example_resource: URIRef
    graph_conforms_to: tuple[URIRef, ...]
    formats: tuple[FileFormat, ...]
    files: tuple[FileRule, ...]

    @property
    def version_iri(self) -> URIRef:
        """The version-level IRI: ``<release_base><version>``."""
        return URIRef(f"{self.release_base}{self.version}")

    def iri(self, *parts: str) -> URIRef:
        """An IRI under the version, e.g. ``iri("linkset", "MONDO")``."""
        return URIRef("/".join([str(self.version_iri), *(quote(p, safe="/:-._~") for p in parts)]))

    def download_url(self, name: str) -> URIRef:
        """Where file ``name`` of this release is downloaded from."""
        return URIRef(f"{self.version_iri}/{quote(name, safe='/-._~')}")

    def file_format(self, name: str) -> FileFormat:
        """The format of file ``name`` by its longest matching ending."""
        matches = [f for f in self.formats if name.endswith(f.ending)]
        if not matches:
            raise OmsError(f"{RELEASE_FILE}: no format for file {name!r}; add its ending under `formats`")
        return max(matches, key=lambda f: len(f.ending))

    def file_rule(self, name: str) -> FileRule:
        """The first rule of ``files`` whose pattern matches ``name``."""
        for rule in self.files:
            if fnmatch.fnmatchcase(name, rule.match):
                return rule
        raise OmsError(f"{RELEASE_FILE}: no rule under `files` matches {name!r}; say what the file holds")


def load_release(root: Path | None = None) -> Release:
    """Read ``data/release.yaml``; raise :class:`DataError` naming what is missing or malformed.

    >>> load_release().version_iri
    rdflib.term.URIRef('https://w3id.org/omskg/release/0.4.0')
    """
    root = root or project_root()
    try:  # within the limits of the curated records: no aliases, bounded size and nesting
        data = load_yaml(root / RELEASE_FILE, RELEASE_FILE, what="the release file")
    except InputRefused as exc:
        raise DataError([Problem(RELEASE_FILE, exc.line, "", exc.message)]) from None
    if not isinstance(data, dict):
        raise DataError([Problem(RELEASE_FILE, 1, "", "expected a mapping of release facts")])
    try:
        release = _release(data, load_prefix_map(root))
    except KeyError as exc:
        raise DataError([Problem(RELEASE_FILE, None, str(exc.args[0]), "missing field")]) from None
    except (TypeError, AttributeError) as exc:
        raise DataError([Problem(RELEASE_FILE, None, "", f"malformed field: {exc}")]) from None
    problems = _problems(release)
    if problems:
        raise DataError(problems)
    return release


def _release(data: dict[str, Any], prefixes: PrefixMap) -> Release:
    previous = data.get("previous_version")
    return Release(
        summary=URIRef(data["summary"]),
        release_base=str(data["release_base"]),
        landing_page=URIRef(data["landing_page"]),
        version=str(data["version"]),
        previous_version=None if previous is None else str(previous),
        issued=data["issued"],
        title=_text(data["title"]),
        description=_text(data["description"]),
        keywords=tuple(str(k) for k in data["keywords"]),
        licence=URIRef(data["licence"]),
        rights=_text(data["rights"]),
        language=URIRef(data["language"]),
        accrual_periodicity=URIRef(data["accrual_periodicity"]),
        agents={str(a["id"]): (URIRef(a["iri"]), str(a["name"])) for a in data["agents"]},
        creators=tuple(str(c) for c in data["creators"]),
        publisher=str(data["publisher"]),
        example_resource=URIRef(prefixes.expand(str(data["example_resource"]))),
        graph_conforms_to=tuple(URIRef(v) for v in data["graph_conforms_to"]),
        formats=tuple(_format(ending, spec) for ending, spec in data["formats"].items()),
        files=tuple(_rule(spec) for spec in data["files"]),
    )


def _text(value: object) -> str:
    """Folded YAML text on one line, single spaces."""
    return " ".join(str(value).split())


def _format(ending: str, spec: dict[str, Any]) -> FileFormat:
    return FileFormat(
        ending=ending,
        label=str(spec["label"]),
        media_type=str(spec["media_type"]),
        w3c=spec.get("w3c"),
        standard=spec.get("standard"),
        rdf=bool(spec.get("rdf", False)),
    )


def _rule(spec: dict[str, Any]) -> FileRule:
    return FileRule(
        match=str(spec["match"]),
        content=str(spec["content"]),
        title=_text(spec["title"]),
        description=_text(spec["description"]),
    )


def template_words(version: str, name: str, label: str) -> dict[str, str]:
    """The words a file title or description may use: {format}, {name}, {stem}, {version}."""
    return {"format": label, "name": name, "stem": PurePosixPath(name).name.split(".")[0], "version": version}


def _problems(release: Release) -> list[Problem]:
    """What a well-formed release file must also satisfy."""
    problems = []
    if not isinstance(release.issued, datetime.date):
        problems.append(Problem(RELEASE_FILE, None, "issued", "expected a date, YYYY-MM-DD"))
    for agent in (*release.creators, release.publisher):
        if agent not in release.agents:
            problems.append(Problem(RELEASE_FILE, None, agent, "not the id of one of `agents`"))
    for rule in release.files:
        if rule.content not in CONTENTS:
            problems.append(Problem(RELEASE_FILE, None, rule.match, f"content must be one of {CONTENTS}"))
        try:
            for template in (rule.title, rule.description):
                template.format(**template_words("", "", ""))
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(
                Problem(RELEASE_FILE, None, rule.match, f"bad placeholder in title or description: {exc}")
            )
    return problems
