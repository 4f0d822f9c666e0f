"""The source documents a curator works with: registering a new one, reading a registered one
from the curator's folder, and finding a phrase in it by offsets.

A document is never copied into the repository: ``data/sources.yaml`` holds its file name,
SHA-256, length in code points and where it comes from; the text stays in the curator's
folder of documents (``--sources DIR``), checked against the digest whenever it is read.

>>> text = "Myoclonus means brief\\n jerks. Brief  jerks may follow."
>>> [(m.start, m.end, m.how) for m in locate(text, "brief jerks")]
[(16, 28, 'tolerant'), (30, 42, 'tolerant')]
>>> [(m.start, m.end, m.how) for m in locate(text, "Brief  jerks")]
[(30, 42, 'exact')]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from omskg.curation.anchoring import Quote, quote_of
from omskg.curation.build import RECORD_ID
from omskg.errors import OmsError
from omskg.fileio import write_files_atomically
from omskg.input_limits import DOCUMENT_BYTES_ENV, limit, load_yaml, read_limited

SOURCES_FILE = Path("data") / "sources.yaml"


@dataclass(frozen=True)
class NewSource:
    """What a curator says of a new document; the rest is read from the file."""

    path: Path
    id: str
    title: str
    creator: str
    publisher: str
    published: str
    description: str = ""
    evidence_code: str = "ECO:0000304"


@dataclass(frozen=True)
class Match:
    """A place of a phrase in a document: offsets (code points, end exclusive), how it was
    found ("exact", or "tolerant" of case, spaces and line breaks) and its quote."""

    start: int
    end: int
    how: str
    quote: Quote

    def evidence(self, source: str) -> str:
        """The evidence item to paste into a statement record."""
        parts = ", ".join(
            f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in self.quote.parts().items()
        )
        return f"{{source: {source}, start: {self.start}, end: {self.end},\n   {parts}}}"


def registered(root: Path) -> list[dict[str, object]]:
    """The records of ``data/sources.yaml``, read within the limits of all curated YAML."""
    data = load_yaml(root / SOURCES_FILE, str(SOURCES_FILE), what="a curated YAML file") or []
    return list(data)


def read_text(path: Path) -> str:
    """A document's text, refused with a reason when it is not UTF-8 or larger than
    ``OMSKG_MAX_DOCUMENT_BYTES`` (20 MB unless set)."""
    if path.suffix == ".gz":
        raise OmsError(f"{path}: a document is plain UTF-8 text; decompress it first")
    try:
        data = read_limited(
            path, str(path), limit(None, DOCUMENT_BYTES_ENV, "OMSKG_MAX_DOCUMENT_BYTES"), "a document"
        )
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise OmsError(
            f"{path}: not UTF-8 text (byte {error.start}); save it as UTF-8 plain text first"
        ) from None
    except OSError as error:
        raise OmsError(f"{path}: cannot be read ({error.strerror})") from None


def add_source(root: Path, new: NewSource) -> dict[str, object]:
    """Register ``new`` in ``data/sources.yaml`` (appended, the file's comments kept) and
    return its record. Refused when the id is taken, the same text is registered under another
    id, or the id is not a record id."""
    if not RECORD_ID.fullmatch(new.id):
        raise OmsError(f"{new.id!r}: an id is lower-case letters, digits and hyphens (e.g. gale-oms)")
    text = read_text(new.path)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for known in registered(root):
        if known.get("id") == new.id:
            raise OmsError(f"{SOURCES_FILE}: {new.id} is registered already; choose another --id")
        if known.get("sha256") == digest:
            raise OmsError(f"{SOURCES_FILE}: this text is registered already as {known.get('id')}")
    record: dict[str, object] = {
        "id": new.id,
        "file": new.path.name,
        "sha256": digest,
        "characters": len(text),
        "title": new.title,
        "creator": new.creator,
        "publisher": new.publisher,
        "published": new.published,
    }
    if new.description:
        record["description"] = new.description
    record["evidence_code"] = new.evidence_code
    path = root / SOURCES_FILE
    block = yaml.safe_dump([record], sort_keys=False, allow_unicode=True, width=100)
    current = path.read_text(encoding="utf-8")
    write_files_atomically({path: current.rstrip("\n") + "\n" + block})
    return record


def document_text(root: Path, source: str, folder: Path) -> str:
    """The text of the registered document ``source`` from ``folder``, checked against its
    recorded digest (offsets are only meaningful in that exact text)."""
    records = {str(r.get("id")): r for r in registered(root)}
    if source not in records:
        raise OmsError(
            f"{source}: not a registered document ({', '.join(sorted(records))}); see `omskg sources add`"
        )
    record = records[source]
    path = folder / str(record.get("file"))
    if not path.is_file():
        raise OmsError(f"{path}: not found; --sources names the folder holding {record.get('file')}")
    text = read_text(path)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != record.get("sha256"):
        raise OmsError(
            f"{path}: its SHA-256 is not the one registered for {source}; offsets would point elsewhere"
        )
    return text


def locate(text: str, phrase: str) -> list[Match]:
    """Every place of ``phrase`` in ``text``: exact matches if any, else matches that ignore
    case and treat any run of spaces and line breaks as one space."""
    words = phrase.split()
    if not words:
        raise OmsError("the phrase is empty")
    exact = [m.start() for m in re.finditer(re.escape(phrase), text)]
    if exact:
        return [Match(s, s + len(phrase), "exact", quote_of(text, s, s + len(phrase))) for s in exact]
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
    return [
        Match(m.start(), m.end(), "tolerant", quote_of(text, m.start(), m.end()))
        for m in pattern.finditer(text)
    ]
