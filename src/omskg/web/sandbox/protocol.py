"""What the sandbox's two ends agree on: the answer formats on offer, and the framing of
messages on the socket between a caller and a worker (a length, then JSON or bytes)."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    pass

DEFAULT_MAX_BYTES = 64 * 2**20


# Offered media types, in the order the service prefers them when the client does not care.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,  # SPARQLWrapper and browsers ask for it
}


GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/plain": ox.RdfFormat.N_TRIPLES,  # the media type N-Triples had before it got its own
}


FORMS: dict[str, Mapping[str, ox.QueryResultsFormat | ox.RdfFormat]] = {
    "SelectQuery": RESULT_FORMATS,
    "AskQuery": RESULT_FORMATS,
    "ConstructQuery": GRAPH_FORMATS,
    "DescribeQuery": GRAPH_FORMATS,
}


SPARQL_JSON = "application/sparql-results+json"


LENGTH = struct.Struct("!Q")


HEADER_LIMIT = 1 << 20


# --- framing ------------------------------------------------------------------------------


def send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(LENGTH.pack(len(payload)))
    sock.sendall(payload)


def send_json(sock: socket.socket, value: dict[str, Any]) -> None:
    send(sock, json.dumps(value).encode("utf-8"))


def receive(sock: socket.socket, limit: int, deadline: float | None) -> bytes:
    """One frame. EOFError when the other end has closed, TimeoutError after ``deadline``
    (a :func:`time.monotonic` time; None: wait for ever), ValueError when longer than ``limit``."""
    (size,) = LENGTH.unpack(_read_exactly(sock, LENGTH.size, deadline))
    if size > limit:
        raise ValueError(f"a frame of {size} bytes, over the limit of {limit}")
    return _read_exactly(sock, size, deadline)


def _read_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
        count = sock.recv_into(view[got:])
        if count == 0:
            raise EOFError
        got += count
    return bytes(buffer)


@dataclass(frozen=True)
class Answer:
    """A serialised answer and its media type (without parameters, as negotiated).

    ``total``: when the answer was asked for with ``max_rows`` (see :meth:`QueryService.answer`),
    how many rows (SELECT) or triples (CONSTRUCT, DESCRIBE) the whole answer has, of which
    ``body`` holds at most ``max_rows``; None otherwise."""

    body: bytes
    media_type: str
    total: int | None = None

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` to send: ``text/*`` types get ``charset=utf-8``, since
        their default charset is not UTF-8; the others are UTF-8 by definition."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type
