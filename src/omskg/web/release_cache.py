"""The server's documents, made once per release and revalidated by ``ETag``.

A release does not change while it is served, so a document made for one request is the
document for every later one: :class:`DocumentCache` keeps what the server made (entity
pages, their Turtle, JSON-LD and N-Triples, the ontology's documentation, the home page),
under a byte budget, least recently used first out. The process serves one release, so
the cache is keyed by the release by construction; it starts empty with each process.
Each document's ``ETag`` is a digest of its bytes: stable across requests and restarts,
different for different documents, and unchanged across releases that leave a document
as it was.

>>> matches('W/"a1", "b2"', '"b2"'), matches('"a1"', '"b2"'), matches("*", '"b2"')
(True, False, True)
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

#: ``Cache-Control`` of every release document: a release does not change while served,
#: but the next one reuses the addresses, so a cache may keep a document five minutes
#: and then asks again with ``If-None-Match`` (a ``304`` costs the server a look-up).
CACHE_CONTROL = "public, max-age=300"
#: The most bytes of documents the cache holds (every document of the release is about 40 MB).
DEFAULT_MAX_BYTES = 128 * 2**20
_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


@dataclass(frozen=True)
class Cached:
    """A document as sent: its bytes, media type and entity tag (quoted, strong)."""

    body: bytes
    media_type: str
    etag: str


def etag_of(body: bytes) -> str:
    """The strong entity tag of ``body``: the first 128 bits of its SHA-256, quoted.

    >>> etag_of(b"")
    '"e3b0c44298fc1c149afbf4c8996fb924"'
    """
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag``, by the weak comparison
    RFC 9110 (13.1.2) prescribes for it: ``W/"x"`` matches ``"x"``; ``*`` matches any
    current document; a list matches when one of its tags does. A header that is not a
    list of entity tags matches nothing (the document is sent whole).

    >>> matches(' "x" ,W/"y"', 'W/"y"'), matches('"x,y"', '"x,y"'), matches('x', '"x"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    position = 0
    while position < len(if_none_match):
        found = _ENTITY_TAG.match(if_none_match, position)
        if found is None or found.end() == position:
            return False
        if found.group(1) == wanted:
            return True
        position = found.end()
    return False


class DocumentCache:
    """Documents by key, made on first request off the event loop, at most ``max_bytes``
    of them (least recently used leave first). Requests for a document being made wait
    for that one making instead of starting another. For use from one event loop."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[Hashable, Cached] = OrderedDict()
        self._making: dict[Hashable, asyncio.Future[Cached]] = {}

    def __len__(self) -> int:
        return len(self._items)

    async def get(self, key: Hashable, make: Callable[[], tuple[bytes, str]]) -> Cached:
        """The document under ``key``; ``make()`` (run in a thread) gives its bytes and
        media type when it is not held. An exception of ``make`` reaches every waiter and
        nothing is kept."""
        held = self._items.get(key)
        if held is not None:
            self._items.move_to_end(key)
            return held
        making = self._making.get(key)
        if making is None:
            making = asyncio.ensure_future(self._make(key, make))
            self._making[key] = making
            making.add_done_callback(lambda done: self._made(key, done))
        # shielded: a client that leaves does not cancel the making others wait for
        return await asyncio.shield(making)

    async def _make(self, key: Hashable, make: Callable[[], tuple[bytes, str]]) -> Cached:
        body, media_type = await run_in_threadpool(make)
        document = Cached(body, media_type, etag_of(body))
        if len(body) <= self.max_bytes:
            self._items[key] = document
            self.size += len(body)
            while self.size > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self.size -= len(evicted.body)
        return document

    def _made(self, key: Hashable, done: asyncio.Future[Cached]) -> None:
        self._making.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter has it, asyncio need not log it
