"""Hostile RDF and YAML input meets one clear error, never the network, never a crash.

The cases that could hang or end a process without the checks (deep nesting, entity
bombs, pyoxigraph's stack overflow) run in a child process with a time limit, which
reports how long the call took and how much its peak memory grew.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import rdflib

from engines import Reply, ScriptedServer, free_port
from omskg.cli import main
from omskg.curation.records import read_yaml_list
from omskg.errors import DataError, OmsError
from omskg.input_limits import InputRefused, no_network
from omskg.rdfio import read_graph
from omskg.release.config import load_release
from omskg.remote_store import push_file

LIMIT = (
    "nest deeper than the limit of 64 levels; if you trust the file, raise the limit with OMSKG_MAX_NESTING"
)
PREFIX = "@prefix ex: <http://example.org/> .\n"
DOCTYPE = "RDF/XML with a <!DOCTYPE declaration is refused before parsing"
REMOTE = "reading the file made the parser reach outside it"
RELATIVE = "has no base to resolve against, and omskg does not use the file's location"

# Runs one reader on argv[2] and prints its outcome, its seconds, the peak of the Python
# memory it allocated (tracemalloc) and the growth of the process's peak resident memory
# (which also sees what pyoxigraph allocates), as JSON.
CHILD = """
import json, resource, sys, time, tracemalloc
from pathlib import Path
from omskg import rdfio
from omskg import remote_store
from omskg.curation import records
from omskg.errors import OmsError
reader, path = sys.argv[1], Path(sys.argv[2])
calls = {
    "read_graph": lambda: len(rdfio.read_graph(path)),
    "read_yaml_list": lambda: len(records.read_yaml_list(path, path.name)),
    "push_file": lambda: len(remote_store.push_file(path, sys.argv[3])),
}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
start = time.perf_counter()
try:
    outcome = {"result": calls[reader]()}
except OmsError as exc:
    outcome = {"error": str(exc)}
outcome["seconds"] = time.perf_counter() - start
outcome["python_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
outcome["rss_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(outcome))
"""


def isolated(reader: str, path: Path, *extra: str) -> dict[str, object]:
    """The outcome of ``reader`` on ``path`` in a child process that must end normally within 60 s."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, reader, str(path), *extra], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return outcome


def assert_refused_quickly(outcome: dict[str, object], expected: str) -> None:
    assert expected in str(outcome.get("error")), outcome
    assert float(str(outcome["seconds"])) < 10, outcome
    assert float(str(outcome["python_mb"])) < 32, outcome
    assert float(str(outcome["rss_growth_mb"])) < 64, outcome


def nested_turtle(depth: int) -> str:
    """``depth`` blank nodes, each inside the one before: depth + 1 triples, on line 2."""
    return PREFIX + "ex:s ex:p " + "[ ex:p " * depth + "ex:o" + " ]" * depth + " .\n"


def nested_jsonld(depth: int) -> str:
    """``depth`` JSON objects, each the value of the one before: depth - 1 triples, on line 1."""
    return '{"http://example.org/p": ' * (depth - 1) + '{"@id": "http://example.org/o"}' + "}" * (depth - 1)


NESTED = {"ttl": (nested_turtle, 1, 2, "brackets"), "jsonld": (nested_jsonld, -1, 1, "arrays and objects")}


@pytest.mark.parametrize("depth", [10, 64])
@pytest.mark.parametrize("suffix", sorted(NESTED))
def test_nesting_within_the_limit_parses(suffix: str, depth: int, tmp_path: Path) -> None:
    make, extra, _, _ = NESTED[suffix]
    path = tmp_path / f"nested.{suffix}"
    path.write_text(make(depth), encoding="utf-8")
    assert len(read_graph(path)) == depth + extra


@pytest.mark.slow
@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize("suffix", sorted(NESTED))
def test_deep_nesting_is_refused_in_bounded_time(suffix: str, depth: int, tmp_path: Path) -> None:
    make, _, line, what = NESTED[suffix]
    path = tmp_path / f"nested.{suffix}"
    path.write_text(make(depth), encoding="utf-8")
    assert_refused_quickly(isolated("read_graph", path), f"{path}:{line}: {what} {LIMIT}")


def test_a_deeper_limit_can_be_given(tmp_path: Path) -> None:
    path = tmp_path / "nested.ttl"
    path.write_text(nested_turtle(80), encoding="utf-8")
    with pytest.raises(InputRefused, match="limit of 64 levels"):
        read_graph(path)
    assert len(read_graph(path, max_depth=80)) == 81


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i + 1} "' + f"&lol{i or ''};" * 10 + '">\n' for i in range(9))
    + ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
    '<rdf:Description rdf:about="http://example.org/s"><ex:p>&lol9;</ex:p></rdf:Description>\n</rdf:RDF>\n'
)


@pytest.mark.slow
def test_an_entity_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    """rdflib spent more than ten minutes on this file, pyoxigraph built a 3 GB literal."""
    path = tmp_path / "bomb.rdf"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    assert_refused_quickly(isolated("read_graph", path), f"{path}:2: {DOCTYPE}")
    url = f"http://127.0.0.1:{free_port()}/store"
    assert_refused_quickly(isolated("push_file", path, url), f"{path}:2: {DOCTYPE}")


def test_an_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the graph", encoding="utf-8")
    path = tmp_path / "xxe.rdf"
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment first -->\n'
        f'<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/s"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputRefused) as refused:
        read_graph(path)
    assert str(refused.value).startswith(f"{path}:3: {DOCTYPE}")


CONTEXT_REPLY = Reply(
    body=json.dumps({"@context": {"name": "http://example.org/name"}}).encode(),
    headers={"Content-Type": "application/ld+json"},
)


def _remote_forms(url: str) -> dict[str, dict[str, object]]:
    """JSON-LD documents whose context rdflib would load from ``url``."""
    node = {"@id": "http://example.org/s", "name": "x"}
    return {
        "string": {"@context": url, **node},
        "list": {"@context": [{"@version": 1.1}, url], **node},
        "import": {"@context": {"@import": url}, **node},
        "scoped": {  # loaded when a value of p is read
            "@context": {"p": {"@id": "http://example.org/p", "@context": url}},
            "@id": "http://example.org/s",
            "p": {"name": "y"},
        },
        "inner node": {"@graph": [{"@context": [url], **node}]},
    }


@pytest.mark.parametrize("form", ["string", "list", "import", "scoped", "inner node"])
def test_a_remote_context_is_never_fetched(form: str, tmp_path: Path) -> None:
    with ScriptedServer([CONTEXT_REPLY]) as server:
        document = _remote_forms(server.url)[form]
        path = tmp_path / "remote.jsonld"
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        with pytest.raises(InputRefused) as refused:
            read_graph(path)
        assert server.requests == []
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if server.url in text)
    assert str(refused.value).startswith(f"{path}:{line}: {REMOTE} (urllib.Request '{server.url}')")


@pytest.mark.parametrize("form", ["string", "import"])
def test_a_file_context_is_never_read(form: str, tmp_path: Path) -> None:
    """A file: IRI is no network, and rdflib opens the file itself: the guard refuses the open."""
    context = tmp_path / "context.jsonld"
    context.write_text('{"@context": {"name": "http://example.org/name"}}', encoding="utf-8")
    path = tmp_path / "local.jsonld"
    path.write_text(json.dumps(_remote_forms(context.as_uri())[form]), encoding="utf-8")
    with pytest.raises(InputRefused, match=f"^{path}:1: {REMOTE} .*context.jsonld"):
        read_graph(path)


def test_rdflib_alone_would_fetch_the_context() -> None:
    """The trap the check closes: rdflib 7 loads a context named by URL."""
    with ScriptedServer([CONTEXT_REPLY]) as server:
        document = _remote_forms(server.url)["string"]
        rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
        assert len(server.requests) == 1


@pytest.mark.parametrize("form", ["string", "array of strings"])
def test_a_json_encoded_document_is_refused_unfetched(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JSON string holding a JSON-LD document: the checks saw a string, rdflib parsed
    the document inside it and fetched its remote context (`omskg diff` exited 0)."""
    with ScriptedServer([CONTEXT_REPLY]) as server:
        inner = json.dumps(
            {"@context": server.url, "@id": "http://example.org/a", "http://example.org/p": "1"}
        )
        path = tmp_path / "x.jsonld"
        path.write_text(json.dumps(inner if form == "string" else [inner]), encoding="utf-8")
        old = tmp_path / "old.ttl"
        old.write_text('<http://example.org/a> <http://example.org/p> "1" .\n', encoding="utf-8")
        assert main(["diff", str(old), str(path)]) == 2
        where = "the top level" if form == "string" else "item 1 of the array"
        assert capsys.readouterr().err.splitlines() == [
            f"error: {path}:1: a JSON-LD document is a JSON object or an array of objects, but {where} "
            "is a string; write the document itself, not a JSON-encoded copy of it"
        ]
        with pytest.raises(InputRefused, match=f"^{path}:1: a JSON-LD document is a JSON object"):
            push_file(path, server.url)
        assert server.requests == []


def test_a_top_level_array_of_objects_is_read(tmp_path: Path) -> None:
    path = tmp_path / "array.jsonld"
    path.write_text(
        json.dumps([{"@id": f"http://example.org/{n}", "http://example.org/p": "1"} for n in "ab"]),
        encoding="utf-8",
    )
    assert len(read_graph(path)) == 2


def test_outside_the_guard_the_network_is_as_before() -> None:
    with ScriptedServer([CONTEXT_REPLY]) as server:
        with pytest.raises(InputRefused), no_network("a file"):
            urllib.request.urlopen(server.url, timeout=5)
        with urllib.request.urlopen(server.url, timeout=5) as response:
            assert response.status == 200
        assert len(server.requests) == 1


def test_a_relative_context_is_not_read_from_the_files_folder(tmp_path: Path) -> None:
    (tmp_path / "context.jsonld").write_text('{"@context": {"name": "http://example.org/name"}}')
    path = tmp_path / "data.jsonld"
    path.write_text('{"@context": "context.jsonld", "@id": "http://example.org/s", "name": "x"}')
    with pytest.raises(InputRefused, match=f"^{path}:1: {REMOTE} .*no-base/context.jsonld"):
        read_graph(path)


RELATIVE_CASES = {
    "no base.ttl": (PREFIX + "<a> ex:p ex:o .\n", 2, "a"),
    "graph name.trig": (PREFIX + "<g> { ex:s ex:p ex:o . }\n", 2, "g"),
    "datatype.ttl": (PREFIX + 'ex:s ex:p "1"^^<number> .\n', 2, "number"),
    "no base.jsonld": ('{\n"@id": "thing",\n"http://example.org/p": "x"\n}', 2, "thing"),
    # above the placeholder base, at its root, or at another host: all relative references
    "climbing.ttl": (PREFIX + '<../x> ex:p "x" .\n', 2, "../x"),
    "climbing far.trig": (PREFIX + "ex:s ex:p <../../../../y> .\n", 2, "../../../../y"),
    "root.ttl": (PREFIX + "ex:s ex:p </x> .\n", 2, "/x"),
    "other host.ttl": (PREFIX + "<//example.net/x> ex:p ex:o .\n", 2, "//example.net/x"),
    "climbing.jsonld": (
        '{\n"@id": "http://example.org/s",\n"http://example.org/p": {"@id": "../x"}\n}',
        3,
        "../x",
    ),
    "no base.rdf": (
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:ex="http://example.org/">\n<rdf:Description rdf:about="thing"><ex:p>x</ex:p>'
        "</rdf:Description>\n</rdf:RDF>\n",
        3,
        "thing",
    ),
}


@pytest.mark.parametrize("case", sorted(RELATIVE_CASES))
def test_a_relative_iri_without_a_base_is_refused(case: str, tmp_path: Path) -> None:
    text, line, relative = RELATIVE_CASES[case]
    path = tmp_path / case.replace(" ", "-")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputRefused) as refused:
        read_graph(path)
    assert str(refused.value).startswith(f"{path}:{line}: the relative IRI <{relative}> {RELATIVE}")


def test_cli_diff_refuses_a_relative_iri_above_the_placeholder_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`<../x>` resolved above the placeholder base, where the check did not look: `omskg
    diff` accepted it."""
    old, new = tmp_path / "old.ttl", tmp_path / "r.ttl"
    old.write_text('<http://e/x> <http://e/p> "x" .\n', encoding="utf-8")
    new.write_text('<../x> <http://e/p> "x" .\n', encoding="utf-8")
    assert main(["diff", str(old), str(new)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {new}:1: the relative IRI <../x> {RELATIVE}; "
        "write the IRI in full or declare an absolute base (@base in Turtle, TriG or a JSON-LD context, "
        "xml:base in RDF/XML)"
    ]


def test_a_relative_iri_resolves_against_the_declared_base(tmp_path: Path) -> None:
    path = tmp_path / "based.ttl"
    path.write_text("@base <https://example.org/dir/> .\n<a> <p> <../b> .\n", encoding="utf-8")
    [triple] = read_graph(path)
    assert [str(term) for term in triple] == [
        "https://example.org/dir/a",
        "https://example.org/dir/p",
        "https://example.org/b",
    ]


def test_oversize_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.nt"
    path.write_text("<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n" * 100)
    size = path.stat().st_size
    assert len(read_graph(path, max_bytes=size)) == 1
    with pytest.raises(InputRefused) as refused:
        read_graph(path, max_bytes=size - 1)
    assert str(refused.value) == (
        f"{path}:100: the file holds more than {size - 1:,} bytes, the limit for RDF input, and passes "
        "it on this line; if you trust the file, raise the limit with OMSKG_MAX_RDF_BYTES or the max_bytes "
        "option"
    )
    monkeypatch.setenv("OMSKG_MAX_RDF_BYTES", "1000")
    with pytest.raises(InputRefused, match=r"more than 1,000 bytes"):
        read_graph(path)


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("latin1.ttl", (PREFIX + 'ex:s ex:p "café" .\n').encode("latin-1"), ":2: byte 0xe9 is not UTF-8"),
        (
            "utf16.rdf",
            b'<?xml version="1.0" encoding="UTF-16"?>\n<rdf:RDF/>',
            ":1: the XML declaration names the encoding 'UTF-16'",
        ),
    ],
)
def test_text_that_is_not_utf8_is_refused(name: str, data: bytes, expected: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputRefused, match=f"^{path}{expected}"):
        read_graph(path)


def _nested_triple_terms(depth: int) -> str:
    """One N-Quads line whose object is a triple term nested ``depth`` deep (RDF 1.2)."""
    ex = "<http://example.org/s> <http://example.org/p> "
    return (
        ex + f"<<( {ex}" * depth + "<http://example.org/o>" + " )>>" * depth + " <http://example.org/g> .\n"
    )


def test_push_file_refuses_nested_triple_terms(tmp_path: Path) -> None:
    with ScriptedServer([Reply(status=201)]) as server:
        path = tmp_path / "deep.nq"
        path.write_text(
            "<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
            + _nested_triple_terms(1_000)
        )
        with pytest.raises(InputRefused, match=f"^{path}:2: brackets {LIMIT}"):
            push_file(path, server.url)
        assert server.requests == []


@pytest.mark.slow
def test_push_file_refuses_what_would_crash_pyoxigraph(tmp_path: Path) -> None:
    """100,000 nested triple terms end a process that parses them with pyoxigraph (SIGSEGV);
    the check refuses the gzip file first, reading it as a stream."""
    path = tmp_path / "deep.nq.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(_nested_triple_terms(100_000))
    url = f"http://127.0.0.1:{free_port()}/store"
    assert_refused_quickly(isolated("push_file", path, url), f"{path}:1: brackets {LIMIT}")
    crash = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gzip, sys, pyoxigraph as ox; "
            "list(ox.parse(gzip.open(sys.argv[1]).read(), ox.RdfFormat.N_QUADS))",
            str(path),
        ],
        capture_output=True,
        timeout=60,
    )
    assert crash.returncode < 0, "pyoxigraph no longer crashes here: the check may be relaxed"


def test_cli_diff_refuses_a_hostile_release_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb, other = tmp_path / "old.rdf", tmp_path / "new.nt"
    bomb.write_text(BILLION_LAUGHS, encoding="utf-8")
    other.write_text("")
    assert main(["diff", str(bomb), str(other)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {bomb}:2: {DOCTYPE}, since entities can expand without bound or read local files; "
        "remove the DOCTYPE and ENTITY declarations and write the text out"
    ]


ALIAS_BOMB = """- subject: oms
  predicate: hasPhenotype
  object: &a [tremor, tremor, tremor, tremor, tremor, tremor, tremor, tremor, tremor]
  qualifiers: &b {note: [*a, *a, *a, *a, *a, *a, *a, *a, *a]}
  evidence: [*b, *b, *b, *b, *b, *b, *b, *b, *b]
"""


@pytest.mark.slow
def test_a_yaml_alias_bomb_is_refused_and_dist_kept(
    core_release: Path, project_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = project_copy / "data" / "statements" / "zz-extra.yaml"
    out = tmp_path / "dist"
    shutil.copytree(core_release, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()

    extra.write_text(ALIAS_BOMB, encoding="utf-8")
    assert main(["build", "--out", str(out), "--no-link"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: data/statements/zz-extra.yaml:4: the YAML alias *a is refused, since aliases can make a "
        "small file expand without bound; write the value out"
    ]
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.slow
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_yaml_is_refused_in_bounded_time(depth: int, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("- id: x\n  note: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    outcome = isolated("read_yaml_list", path)
    assert_refused_quickly(outcome, f"deep.yaml:2: YAML collections {LIMIT}")


RELEASE_DEEP = "\nextra: " + "[" * 5_000 + "]" * 5_000 + "\n"
RELEASE_ALIAS = "\nextra: &a [x, y]\nmore: *a\n"


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        (RELEASE_DEEP, f"YAML collections {LIMIT} or the max_depth option"),
        (RELEASE_ALIAS, "the YAML alias *a is refused, since aliases can make a small file expand"),
    ],
    ids=["deep nesting", "alias"],
)
def test_the_release_file_is_read_within_the_yaml_limits(
    project_copy: Path, addition: str, message: str
) -> None:
    """data/release.yaml was read with yaml.safe_load: 5,000 nested brackets ended the build
    in a RecursionError, aliases were accepted."""
    path = project_copy / "data" / "release.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + addition, encoding="utf-8")
    line = len(text.splitlines()) + (2 if addition == RELEASE_DEEP else 3)
    with pytest.raises(DataError) as refused:
        load_release(project_copy)
    [problem] = refused.value.problems
    assert str(problem).startswith(f"data/release.yaml:{line}: {message}"), problem


@pytest.mark.slow
def test_a_hostile_release_file_stops_the_build_and_dist_is_kept(
    project_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "omskg.dataset.ttl").write_text("# the previous release\n", encoding="utf-8")
    (out / "omskg.nt").write_text("", encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*")}
    path = project_copy / "data" / "release.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + RELEASE_DEEP, encoding="utf-8")
    assert main(["build", "--out", str(out), "--no-link"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert errors == [
        f"error: data/release.yaml:{len(text.splitlines()) + 2}: YAML collections {LIMIT} or the "
        "max_depth option"
    ]
    assert {p: p.read_bytes() for p in out.rglob("*")} == before


def test_oversize_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("- id: x\n  label: y\n" * 1000, encoding="utf-8")
    with pytest.raises(DataError) as refused:
        read_yaml_list(path, "big.yaml", max_bytes=5_000)
    assert str(refused.value) == (
        "big.yaml:527: the file holds more than 5,000 bytes, the limit for a curated YAML file, and passes "
        "it on this line; if you trust the file, raise the limit with OMSKG_MAX_YAML_BYTES or the max_bytes "
        "option"
    )
    assert len(read_yaml_list(path, "big.yaml")) == 1000


def test_an_invalid_limit_in_the_environment_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.nt"
    path.write_text("")
    monkeypatch.setenv("OMSKG_MAX_NESTING", "lots")
    with pytest.raises(OmsError, match=r"^OMSKG_MAX_NESTING='lots' is not a whole number"):
        read_graph(path)
