"""Limits and checks for input a user can supply, applied before any parser sees it.

RDF and YAML parsers have traps that a contributed file can spring: rdflib fetches a
JSON-LD ``@context`` named by URL (and reads a relative one from the file's folder);
RDF/XML entities expand without bound (a 1 kB "billion laughs" kept rdflib busy for
more than ten minutes, and pyoxigraph built a 3 GB literal from it); rdflib's parsers
recurse once per bracket, and pyoxigraph ends the whole process with a stack overflow
on some 20,000 nested RDF 1.2 triple terms; PyYAML's aliases turn a small file into an
exponentially large structure. Each check here reads the text once, linearly, and
raises :class:`InputRefused` naming the file, the line and what to do.

Limits are keyword options of the readers; when an option is not given, the
environment variable named below, else the default, applies:

* ``OMSKG_MAX_RDF_BYTES`` (200,000,000): the size of an RDF file;
* ``OMSKG_MAX_YAML_BYTES`` (1,000,000): the size of a curated YAML file (PyYAML reads
  some 100 kB a second, and the largest curated file is under 40 kB);
* ``OMSKG_MAX_NESTING`` (64): how deep brackets (Turtle, TriG, N-Triples, N-Quads),
  arrays and objects (JSON-LD), elements (RDF/XML) or collections (YAML) may nest.
"""

from __future__ import annotations

import contextvars
import gzip
import json
import os
import re
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from omskg.errors import OmsError

RDF_BYTES_ENV = "OMSKG_MAX_RDF_BYTES"
YAML_BYTES_ENV = "OMSKG_MAX_YAML_BYTES"
NESTING_ENV = "OMSKG_MAX_NESTING"
DOCUMENT_BYTES_ENV = "OMSKG_MAX_DOCUMENT_BYTES"
DEFAULTS = {
    RDF_BYTES_ENV: 200_000_000,
    YAML_BYTES_ENV: 1_000_000,
    NESTING_ENV: 64,
    DOCUMENT_BYTES_ENV: 20_000_000,  # a source document: an article or a book chapter is far less
}


class InputRefused(OmsError):
    """Input refused before parsing: the file, the line when known, and why."""

    def __init__(self, name: str, line: int | None, message: str) -> None:
        self.name, self.line, self.message = name, line, message
        super().__init__(f"{name}:{line}: {message}" if line else f"{name}: {message}")


@dataclass(frozen=True)
class Limit:
    """A limit's value and how a person raises it (environment variable and option name)."""

    value: int
    env: str
    option: str

    def hint(self) -> str:
        return f"if you trust the file, raise the limit with {self.env} or the {self.option} option"


def limit(value: int | None, env: str, option: str) -> Limit:
    """``value`` if given, else the whole number in the environment variable ``env``,
    else the default of ``env`` (see :data:`DEFAULTS`)."""
    if value is None:
        raw = os.environ.get(env, "").strip()
        try:
            value = int(raw) if raw else DEFAULTS[env]
        except ValueError:
            raise OmsError(
                f"{env}={raw!r} is not a whole number; set it to a limit such as {DEFAULTS[env]}"
            ) from None
    if value < 1:
        raise OmsError(f"the limit {option}={value} must be at least 1")
    return Limit(value, env, option)


def _line(text: str | bytes, offset: int) -> int:
    if isinstance(text, str):
        return text.count("\n", 0, offset) + 1
    return text.count(b"\n", 0, offset) + 1


def read_limited(path: Path, name: str, max_bytes: Limit, what: str) -> bytes:
    """The bytes of ``path`` (decompressed when its name ends in ``.gz``), refused when
    there are more than ``max_bytes``; the line named is where the limit is passed."""
    chunks: list[bytes] = []
    total = lines = 0
    with path.open("rb") as raw, gzip.open(raw) if path.suffix == ".gz" else nullcontext(raw) as stream:
        while chunk := cast(IO[bytes], stream).read(1 << 20):
            if total + len(chunk) > max_bytes.value:
                raise InputRefused(
                    name,
                    lines + chunk.count(b"\n", 0, max_bytes.value - total) + 1,
                    f"the file holds more than {max_bytes.value:,} bytes, the limit for {what}, and passes "
                    f"it on this line; {max_bytes.hint()}",
                )
            chunks.append(chunk)
            total += len(chunk)
            lines += chunk.count(b"\n")
    return b"".join(chunks)


def decode_utf8(data: bytes, name: str) -> str:
    """``data`` as text (a byte order mark is dropped), refused when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputRefused(
            name,
            _line(data, exc.start),
            f"byte {exc.object[exc.start]:#04x} is not UTF-8; save the file as UTF-8",
        ) from None


def _too_deep(
    name: str, text: str, offset: int, max_depth: Limit, what: str, first_line: int = 1
) -> InputRefused:
    return InputRefused(
        name,
        _line(text, offset) + first_line - 1,
        f"{what} nest deeper than the limit of {max_depth.value} levels; {max_depth.hint()}",
    )


# Turtle, TriG, N-Triples and N-Quads: strings (long ones first), IRIs and comments are
# skipped whole, so a bracket inside them does not count; `\` escapes one character of a
# prefixed name. `[`, `(`, `{` and RDF 1.2's `<<` open a level. An unterminated long
# string runs to the end, so no string is scanned twice.
_TURTLE_TOKEN = re.compile(
    r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*+(?:"""|\Z)'
    r"|'''(?:(?:'|'')?(?:[^'\\]|\\.))*+(?:'''|\Z)"
    r'|"(?:[^"\\\n\r]|\\.)*+"'
    r"|'(?:[^'\\\n\r]|\\.)*+'"
    r'|<(?:[^<>"{}|^`\\\x00-\x20]|\\[uU][0-9A-Fa-f]+)*+>'
    r"|\#[^\n\r]*+"
    r"|\\."
    r"|<<|>>|[\[\](){}]",
    re.DOTALL,
)
_TURTLE_OPEN = frozenset({"[", "(", "{", "<<"})
_TURTLE_CLOSE = frozenset({"]", ")", "}", ">>"})


def check_turtle_nesting(text: str, name: str, max_depth: Limit, *, first_line: int = 1) -> None:
    """Refuse Turtle, TriG, N-Triples or N-Quads whose brackets nest deeper than ``max_depth``."""
    depth = 0
    for match in _TURTLE_TOKEN.finditer(text):
        token = match.group()
        if token in _TURTLE_OPEN:
            depth += 1
            if depth > max_depth.value:
                raise _too_deep(name, text, match.start(), max_depth, "brackets", first_line)
        elif token in _TURTLE_CLOSE:
            depth = max(depth - 1, 0)


def check_line_nesting(stream: IO[bytes], name: str, max_depth: Limit) -> None:
    """:func:`check_turtle_nesting` for N-Triples or N-Quads read as a stream. Outside
    strings and IRIs these syntaxes nest only in RDF 1.2 triple terms, which open with
    ``<<``, so only a block of whole lines holding ``<<`` is scanned."""
    block, first_line = bytearray(), 1
    while chunk := stream.read(1 << 20):
        cut = chunk.rfind(b"\n") + 1
        block += chunk[:cut] if cut else chunk
        if cut:
            if b"<<" in block:
                check_turtle_nesting(block.decode("utf-8", "replace"), name, max_depth, first_line=first_line)
            first_line += block.count(b"\n")
            block = bytearray(chunk[cut:])
    check_turtle_nesting(block.decode("utf-8", "replace"), name, max_depth, first_line=first_line)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


def load_json(text: str, name: str, max_depth: Limit) -> Any:
    """Parse JSON whose arrays and objects nest no deeper than ``max_depth`` (Python's
    ``json`` recurses once per level, so the depth is checked on the text first)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth.value:
                raise _too_deep(name, text, match.start(), max_depth, "arrays and objects")
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
    try:
        return json.loads(text)
    except ValueError as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        raise InputRefused(name, line, f"not valid JSON: {exc}") from None


def check_jsonld_document(document: Any, text: str, name: str) -> None:
    """Refuse a parsed JSON-LD document unless its top level is an object or an array of
    objects: rdflib, given a JSON string, parses it as a JSON-LD document of its own.

    Contexts named by IRI (``@context``, ``@import``, at any level) need no check of their
    own: rdflib would load them, and :func:`no_network` refuses every load."""
    for position, value in enumerate(document if isinstance(document, list) else [document]):
        if isinstance(value, dict):
            continue
        where = "the top level" if not isinstance(document, list) else f"item {position + 1} of the array"
        if isinstance(document, list):
            line = line_of(text, json.dumps(value, ensure_ascii=False)) or line_of(text, json.dumps(value))
        else:
            line = _line(text, len(text) - len(text.lstrip()))
        raise InputRefused(
            name,
            line,
            f"a JSON-LD document is a JSON object or an array of objects, but {where} is "
            f"{_json_kind(value)}; write the document itself, not a JSON-encoded copy of it",
        )


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def line_of(text: str, needle: str) -> int | None:
    """The line of the first occurrence of ``needle`` in ``text``; None when it does not occur."""
    offset = text.find(needle)
    return _line(text, offset) if offset >= 0 else None


# RDF/XML: comments, CDATA sections and processing instructions are skipped whole (to
# the end when unterminated); any other `<!` is a declaration (DOCTYPE, ENTITY, ...).
_XML_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<\?.*?(?:\?>|\Z)"
    r"|<!"
    r"|</[^>]*+>?"
    r"""|<(?:[^>"']|"[^"]*+"|'[^']*+')*+>?""",
    re.DOTALL,
)
_XML_ENCODING = re.compile(r"""\bencoding\s*=\s*["']([^"']*)["']""")


def check_rdfxml(text: str, name: str, max_depth: Limit) -> None:
    """Refuse RDF/XML with a DOCTYPE, ENTITY or other declaration (entities can expand
    without bound or read local files), declared in an encoding other than UTF-8, or with
    elements nested deeper than ``max_depth``."""
    depth = 0
    for match in _XML_TOKEN.finditer(text):
        token = match.group()
        if token == "<!":
            declared = re.match(r"<![A-Z]*", text[match.start() : match.start() + 16])
            raise InputRefused(
                name,
                _line(text, match.start()),
                f"RDF/XML with a {declared.group() if declared else '<!'} declaration is refused before "
                "parsing, since entities can expand without bound or read local files; remove the "
                "DOCTYPE and ENTITY declarations and write the text out",
            )
        if token.startswith("<?xml"):
            encoding = _XML_ENCODING.search(token)
            if encoding and encoding.group(1).lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii"):
                raise InputRefused(
                    name,
                    _line(text, match.start()),
                    f"the XML declaration names the encoding {encoding.group(1)!r}; save the file as "
                    'UTF-8 and declare encoding="utf-8"',
                )
        elif token.startswith("</"):
            depth = max(depth - 1, 0)
        elif not token.startswith(("<!", "<?")) and not token.endswith("/>"):
            depth += 1
            if depth > max_depth.value:
                raise _too_deep(name, text, match.start(), max_depth, "elements")


# Media type -> how a file of that syntax is checked.
_LINE_SYNTAXES = frozenset({"application/n-triples", "application/n-quads"})
_TURTLE_SYNTAXES = frozenset({"text/turtle", "application/trig", "text/n3"})


def check_rdf_file(
    path: Path, media_type: str, *, max_bytes: int | None = None, max_depth: int | None = None
) -> None:
    """Check an RDF file (``.gz`` allowed) that another parser, such as pyoxigraph, will read.

    N-Triples and N-Quads are streamed line by line with no size limit (a linked dataset
    is large); other syntaxes are read whole, within ``max_bytes``, and get the checks of
    :func:`omskg.rdfio.read_graph`. Unknown media types are refused.
    """
    name = str(path)
    depth = limit(max_depth, NESTING_ENV, "max_depth")
    if media_type in _LINE_SYNTAXES:
        with path.open("rb") as raw, gzip.open(raw) if path.suffix == ".gz" else nullcontext(raw) as stream:
            try:
                check_line_nesting(cast(IO[bytes], stream), name, depth)
            except (EOFError, zlib.error, gzip.BadGzipFile) as exc:  # cut short, corrupt, not gzip
                raise InputRefused(name, None, f"not a whole gzip file ({exc}); write it again") from None
        return
    text = decode_utf8(
        read_limited(path, name, limit(max_bytes, RDF_BYTES_ENV, "max_bytes"), "RDF input"), name
    )
    if media_type in _TURTLE_SYNTAXES:
        check_turtle_nesting(text, name, depth)
    elif media_type == "application/ld+json":
        check_jsonld_document(load_json(text, name, depth), text, name)
    elif media_type == "application/rdf+xml":
        check_rdfxml(text, name, depth)
    else:
        raise InputRefused(name, None, f"omskg does not check {media_type} input; convert it to N-Quads")


# --- YAML ------------------------------------------------------------------------------


LIBYAML_DEPTH = 1000  # libyaml refuses collections nested deeper, whatever our limit

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _SafeEventLoader(Composer, CParser, SafeConstructor, Resolver):
        """PyYAML's safe loader with its events read by libyaml (C), about six times faster on
        the curated records; composing stays in Python, where the checks below hook in (the
        all-C ``CSafeLoader`` composes in C and leaves no such hook)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

else:  # PyYAML built without libyaml
    _SafeEventLoader = yaml.SafeLoader  # type: ignore[misc,assignment]


class BoundedYamlLoader(_SafeEventLoader):
    """A safe loader (no Python objects) that refuses aliases and collections nested deeper
    than ``max_depth``, naming ``source_name`` and the line.

    An alias (``*name``) repeats a node without copying it, so a few lines of them can
    stand for billions of values ("billion laughs") once anything walks the result; the
    project's YAML has no use for them. Composing recurses once per level (5,000 nested
    brackets end in a RecursionError), so the depth is bounded too.
    """

    source_name = ""
    max_depth = Limit(DEFAULTS[NESTING_ENV], NESTING_ENV, "max_depth")
    _depth = 0

    def check_event(self, *choices: type[yaml.Event]) -> bool:
        return cast(bool, self._reading(super().check_event, *choices))

    def peek_event(self) -> yaml.Event:
        return cast(yaml.Event, self._reading(super().peek_event))

    def get_event(self) -> yaml.Event:
        return cast(yaml.Event, self._reading(super().get_event))

    def _reading(self, read: Callable[..., Any], *args: Any) -> Any:
        """``read(*args)``, with libyaml's refusal of a collection nested deeper than it reads
        (it scans ahead of the event we compose, so it can stop first) said in our words."""
        try:
            return read(*args)
        except yaml.MarkedYAMLError as exc:
            if exc.problem != "exceeded maximum nesting depth" or exc.problem_mark is None:
                raise
            raise self._too_deep(exc.problem_mark.line + 1, libyaml=True) from None

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # the next event, not taken
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            raise InputRefused(
                self.source_name,
                line,
                f"the YAML alias *{event.anchor} is refused, since aliases can make a small file expand "
                "without bound; write the value out",
            )
        self._depth += 1
        try:
            if self._depth > self.max_depth.value:
                raise self._too_deep(line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _too_deep(self, line: int | None, *, libyaml: bool = False) -> InputRefused:
        """The refusal of a file nested deeper than our limit or (``libyaml``, with our limit
        raised past its own) than libyaml reads."""
        if libyaml and self.max_depth.value >= LIBYAML_DEPTH:
            reason = f"the {LIBYAML_DEPTH:,} levels libyaml reads; flatten the file"
        else:
            reason = f"the limit of {self.max_depth.value} levels; {self.max_depth.hint()}"
        return InputRefused(self.source_name, line, f"YAML collections nest deeper than {reason}")


def load_yaml(
    path: Path, name: str, *, what: str, max_bytes: int | None = None, max_depth: int | None = None
) -> Any:
    """The one document of the YAML file ``path`` (``name`` in errors), read within the
    limits of the curated records: at most ``max_bytes`` (``OMSKG_MAX_YAML_BYTES``) of
    UTF-8, no aliases, collections nested at most ``max_depth`` deep. Any refusal, and
    malformed YAML, is an :class:`InputRefused` naming the file and line; ``what`` names
    the kind of file in the size message."""
    size, depth = limit(max_bytes, YAML_BYTES_ENV, "max_bytes"), limit(max_depth, NESTING_ENV, "max_depth")
    loader = BoundedYamlLoader(decode_utf8(read_limited(path, name, size, what), name))
    loader.source_name, loader.max_depth = name, depth
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputRefused(
            name, mark.line + 1 if mark is not None else None, f"malformed YAML: {reason}"
        ) from None
    finally:
        loader.dispose()


# --- nothing from outside while a parser reads a user's file --------------------------------

# Audit events (PEP 578) of the standard library that reach another host, or ask a
# resolver about one. Every Python-level client (urllib, http.client, requests through
# socket) raises at least one of them before any byte leaves the process; urllib raises
# "urllib.Request" for file: URLs too.
NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
        "socket.sendto",
        "socket.sendmsg",
        "http.client.connect",
        "urllib.Request",
        "ftplib.connect",
        "smtplib.connect",
        "webbrowser.open",
    }
)
# A parser may still import its plugins while it reads (an "open" event too): files of the
# Python installation and of this package stay readable, no other file is.
_CODE_ROOTS = tuple(
    {str(Path(root).resolve()) for root in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    | {str(Path(__file__).resolve().parent)}
)


class _Refused(BaseException):
    """Raised by the audit hook inside :func:`no_network`. A BaseException, so that a
    parser's ``except Exception`` cannot swallow it and fall back to another way out."""


@dataclass
class _Guard:
    name: str
    attempts: list[tuple[str, str]]


_GUARD: contextvars.ContextVar[_Guard | None] = contextvars.ContextVar("omskg_no_network", default=None)
_HOOK_LOCK = threading.Lock()
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in NETWORK_EVENTS and event != "open":
        return
    guard = _GUARD.get()
    if guard is None or (event == "open" and _code_file(args)):
        return
    guard.attempts.append((event, _target(event, args)[:200]))
    raise _Refused(guard.attempts[-1])


def _code_file(args: tuple[Any, ...]) -> bool:
    """True when an "open" event reads a file of the Python installation or this package, or
    names no path (a file descriptor)."""
    if not args or not isinstance(args[0], (str, bytes, os.PathLike)):
        return True
    path = os.path.realpath(os.fsdecode(args[0]))
    return any(path == root or path.startswith(root + os.sep) for root in _CODE_ROOTS)


def _target(event: str, args: tuple[Any, ...]) -> str:
    """Where an audited call was going: a URL, a host, an address, a file."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and len(args) > 1:
        return repr(args[1])
    if event == "socket.getaddrinfo" and len(args) > 1:
        return repr((args[0], args[1]))
    if event in ("http.client.connect", "ftplib.connect", "smtplib.connect") and len(args) > 2:
        return f"{args[1]}:{args[2]}"
    if event == "open" and args:
        return repr(os.fsdecode(args[0]))
    return repr(args[0]) if args else ""


def _install_hook() -> None:
    global _hook_installed
    with _HOOK_LOCK:
        if not _hook_installed:
            sys.addaudithook(_audit)  # stays for the life of the process; idle outside no_network
            _hook_installed = True


@contextmanager
def no_network(name: str, text: str | None = None, base: str = "") -> Iterator[None]:
    """Within the block, this thread (and the tasks of its context) can neither open a
    connection, resolve a host name nor open a file outside the Python installation and
    this package: the parsers reading the user's file ``name`` may reach nothing outside
    it, whatever it says (a JSON-LD ``@context`` or ``@import`` named by URL, relative or
    ``file:``, an external entity). An attempt ends the block with an
    :class:`InputRefused` naming the file, where the parser tried to go and, when ``text``
    (the file's text) names it, the line; ``base`` is the base IRI the parser resolved
    relative references against.

    This is the one guard of that kind, for every parser: it sees what Python code does
    (rdflib, urllib, http.client, sockets, files), through audit hooks (PEP 578).
    """
    _install_hook()
    guard = _Guard(name, [])
    token = _GUARD.set(guard)
    try:
        yield
    except (Exception, _Refused):
        if not guard.attempts:
            raise
        # else the refusal below says more than whatever error the parser made of it
    finally:
        _GUARD.reset(token)
    if guard.attempts:
        event, target = guard.attempts[0]
        raise InputRefused(
            name,
            _line_naming(text, target, base),
            f"reading the file made the parser reach outside it ({event} {target}), which omskg never "
            "allows for input files; remove what names another document (a @context or @import IRI, "
            "an external entity) or write that document out in the file",
        )


def _line_naming(text: str | None, target: str, base: str) -> int | None:
    """The line of ``text`` that names ``target`` (a repr of a URL or path), in full or
    relative to ``base``."""
    if text is None or not target.startswith("'"):
        return None
    where = target.strip("'")
    candidates = [where, where.removeprefix(base), f"file://{where}"]
    return next((line for c in candidates if c and (line := line_of(text, json.dumps(c))) is not None), None)
