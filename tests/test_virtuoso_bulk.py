"""``omskg push --virtuoso-bulk DIR``: a graph file loaded by Virtuoso's own bulk loader
(src/omskg/virtuoso_bulk.py). The options and credentials are checked here without a
server; the loads run on a real Virtuoso on 127.0.0.1 (``make test-engines``, ``--engine
virtuoso``), started once for this module with its data folder as the shared folder."""

from __future__ import annotations

import fcntl
import gzip
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from engine_virtuoso import isql, start_virtuoso
from engines import RunningStore
from omskg.cli import main
from omskg.curation.build import build_graph
from omskg.errors import OmsError
from omskg.remote_store import count_triples, remote_select
from omskg.virtuoso_bulk import (
    BulkFolder,
    BulkLoad,
    VirtuosoSql,
    bulk_push_file,
    distinct_triples,
    sql_address,
)

G1, G2 = "http://example.org/bulk/one", "http://example.org/bulk/two"
LINES = (
    f'<http://example.org/a> <http://example.org/p> "één"@nl <{G1}> .\n'
    f"<http://example.org/a> <http://example.org/p> <http://example.org/b> <{G1}> .\n"
    f"<http://example.org/a> <http://example.org/p> <http://example.org/b> <{G1}> .\n"  # repeated
    f"_:x <http://example.org/p> _:y <{G2}> .\n"
    f"_:y <http://example.org/p> _:x <{G2}> .\n"
)
# RDF 1.2's base direction: pyoxigraph reads it, Virtuoso 7.2's loader records an error (SP029)
LOADER_REFUSES = f'<http://example.org/a> <http://example.org/p> "x"@en--rtl <{G1}> .\n'


def write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


# --- without a server ---------------------------------------------------------------------


def test_the_password_comes_from_the_environment_only() -> None:
    with pytest.raises(OmsError, match="set VIRTUOSO_PASSWORD"):
        VirtuosoSql.from_environment("localhost", {})
    sql = VirtuosoSql.from_environment(
        "localhost", {"VIRTUOSO_PASSWORD": "s3cret", "VIRTUOSO_ODBC_DRIVER": __file__}
    )
    assert (sql.address, sql.user, sql.password, sql.driver) == ("localhost:1111", "dba", "s3cret", __file__)
    assert "s3cret" not in repr(sql)


@pytest.mark.parametrize(
    ("variable", "value"), [("VIRTUOSO_PASSWORD", "a;DRIVER=/tmp/x.so"), ("VIRTUOSO_USER", "dba;PWD=x")]
)
def test_a_value_that_would_add_a_driver_setting_is_refused(variable: str, value: str) -> None:
    environ = {"VIRTUOSO_PASSWORD": "pw", "VIRTUOSO_ODBC_DRIVER": __file__, variable: value}
    with pytest.raises(OmsError, match=f"{variable} holds a ';'"):
        VirtuosoSql.from_environment("localhost", environ)


def test_a_missing_driver_is_named() -> None:
    environ = {"VIRTUOSO_PASSWORD": "pw", "VIRTUOSO_ODBC_DRIVER": "/nowhere/virtodbc_r.so"}
    with pytest.raises(OmsError, match=r"virtodbc_r\.so.*not found at /nowhere.*libvirtodbc0"):
        VirtuosoSql.from_environment("localhost", environ)


@pytest.mark.parametrize(
    "address",
    ["", "host:", ":1111", "host:99999", "host:port", "h;DRIVER=x:1111", "a b", "::1", "-h:1", "h_1"],
)
def test_a_sql_address_is_host_and_port(address: str) -> None:
    with pytest.raises(OmsError, match="not a Virtuoso SQL address"):
        sql_address(address)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--virtuoso-sql", "localhost:1111"], "go with --virtuoso-bulk"),
        (["--virtuoso-dir-on-server", "/data"], "go with --virtuoso-bulk"),
        (["--virtuoso-bulk", "."], "loads the file given with --hpo"),
        (["--virtuoso-bulk", ".", "--hpo", "{tmp}/none.nq"], "none.nq: no such file"),
        (
            ["--virtuoso-bulk", ".", "--hpo", "{tmp}/g.ttl"],
            "g.ttl: Virtuoso's bulk loader is given N-Triples",
        ),
        (["--virtuoso-bulk", ".", "--hpo", "{tmp}/g.nq"], "set VIRTUOSO_PASSWORD"),
        (["--virtuoso-bulk", "{tmp}/none", "--hpo", "{tmp}/g.nq"], "none: no such folder"),
    ],
)
def test_the_command_checks_its_options_before_sending(
    extra: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("g.ttl", "g.nq"):
        write(
            tmp_path / name,
            f"<http://example.org/a> <http://example.org/p> <http://example.org/b> <{G1}> .\n",
        )
    if "VIRTUOSO_PASSWORD" not in message:
        monkeypatch.setenv("VIRTUOSO_PASSWORD", "pw")
        monkeypatch.setenv("VIRTUOSO_ODBC_DRIVER", __file__)
    else:
        monkeypatch.delenv("VIRTUOSO_PASSWORD", raising=False)
    # port 9 (discard) on loopback: a request sent would fail otherwise than with the message
    arguments = [argument.format(tmp=tmp_path) for argument in extra]
    assert main(["push", "http://127.0.0.1:9/sparql-graph-crud", *arguments]) == 2
    assert message in capsys.readouterr().err


def test_the_bulk_route_takes_line_based_files(tmp_path: Path) -> None:
    turtle = write(tmp_path / "g.ttl", "<http://example.org/a> <http://example.org/p> 1 .\n")
    sql = VirtuosoSql("127.0.0.1:9", "dba", "pw", __file__)
    with pytest.raises(OmsError, match=r"g\.ttl: Virtuoso.s bulk loader is given N-Triples or N-Quads"):
        bulk_push_file(turtle, sql, BulkFolder(tmp_path, str(tmp_path)))


def test_one_push_at_a_time_loads_from_a_folder(tmp_path: Path) -> None:
    path = write(tmp_path / "g.nq", LINES)
    sql = VirtuosoSql("127.0.0.1:9", "dba", "pw", __file__)
    with (tmp_path / "omskg-push.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a push under way holds it
        with pytest.raises(OmsError, match=r"another omskg push is loading .*omskg-push\.lock is locked"):
            bulk_push_file(path, sql, BulkFolder(tmp_path, str(tmp_path)))


def test_a_library_that_is_no_odbc_driver_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "g.nq", LINES)
    libc = next(Path("/lib").glob("*-linux-gnu/libc.so.6"))  # a shared library, but no driver
    sql = VirtuosoSql("127.0.0.1:9", "dba", "pw", str(libc))
    with pytest.raises(
        OmsError, match=rf"could not load Virtuoso's ODBC driver {libc} .*VIRTUOSO_ODBC_DRIVER"
    ):
        bulk_push_file(path, sql, BulkFolder(tmp_path, str(tmp_path)))


def test_each_graph_is_counted_by_its_distinct_triples(tmp_path: Path) -> None:
    path = write(tmp_path / "g.nq.gz", LINES + '<http://example.org/a> <http://example.org/p> "2" .\n')
    assert distinct_triples(path, ox.RdfFormat.N_QUADS, G1) == {G1: 3, G2: 2}
    with pytest.raises(OmsError, match=r"g\.nq\.gz: the triple .* outside a named graph .*N-Quads"):
        distinct_triples(path, ox.RdfFormat.N_QUADS, None)
    broken = write(tmp_path / "copy.nq", LINES + "<http://example.org/a> <http://example.org/p> .\n")
    with pytest.raises(OmsError, match=r"^mine\.nq: not valid N-Quads.*line 6.*nothing of it was pushed"):
        distinct_triples(broken, ox.RdfFormat.N_QUADS, None, shown=Path("mine.nq"))


# --- on a real Virtuoso -------------------------------------------------------------------


@pytest.fixture(scope="module")
def virtuoso(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStore]:
    if request.config.getoption("--engine") != "virtuoso":
        pytest.skip("needs Virtuoso: make test-engines (--engine virtuoso)")
    store = start_virtuoso(tmp_path_factory.mktemp("bulk"))
    isql(store.sql_port, "DB.DBA.USER_CREATE('nodba', 'secret');")  # may log in, not load
    yield store
    store.stop()


def push(store: RunningStore, path: Path, *extra: str) -> int:
    assert store.folder
    urls = ["--gsp", store.gsp_url, "--query-url", store.query_url, "--update-url", store.update_url]
    bulk = ["--virtuoso-bulk", str(store.folder), "--virtuoso-sql", f"127.0.0.1:{store.sql_port}"]
    return main(["push", store.gsp_url, *urls, "--hpo", str(path), *bulk, *extra])


def triples(store: RunningStore, graph: str) -> set[tuple[str, ...]]:
    """The graph's triples as text, blank nodes as ``_``."""
    table = remote_select(store.query_url, "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", graphs=[graph])
    return {tuple("_" if t.startswith("nodeID://") else t.n3() for t in row) for row in table.rows}


def leftovers(store: RunningStore) -> list[str]:
    """Copies left in the shared folder, and rows of them left in the loader's list."""
    assert store.folder
    listed = isql(store.sql_port, "SELECT ll_file FROM DB.DBA.LOAD_LIST;")
    copies = sorted(p.name for p in store.folder.glob("omskg-push-*"))
    return copies + [line.strip() for line in listed.splitlines() if "omskg-push-" in line]


def bulk(store: RunningStore, path: Path, **changes: str) -> list[tuple[str, int, int]]:
    """``bulk_push_file`` into ``store``, with ``changes`` to its folder's server path or
    password; what it told its progress."""
    assert store.folder
    sql = VirtuosoSql.from_environment(f"127.0.0.1:{store.sql_port}", {"VIRTUOSO_PASSWORD": "dba", **changes})
    on_server = store.folder / changes.get("on_server", "")  # an absolute path stays as given
    if on_server.is_relative_to(store.folder) and not on_server.name.startswith("missing"):
        on_server.mkdir(exist_ok=True)  # a folder the server may read, without the file
    told: list[tuple[str, int, int]] = []
    bulk_push_file(path, sql, BulkFolder(store.folder, str(on_server)), progress=lambda *a: told.append(a))
    return told


XSD = "http://www.w3.org/2001/XMLSchema#"
OLD = {("<http://example.org/gone>", "<http://example.org/p>", f'"1"^^<{XSD}integer>')}


@pytest.fixture
def filled(virtuoso: RunningStore, tmp_path: Path) -> RunningStore:
    """The store with one triple in graph G1, loaded the same way."""
    old = f'<http://example.org/gone> <http://example.org/p> "1"^^<{XSD}integer> <{G1}> .\n'
    # loaded before the first count (every 2 s): the progress is told the total only
    assert bulk(virtuoso, write(tmp_path / "old.nq", old)) == [(G1, 1, 1)]
    assert triples(virtuoso, G1) == OLD
    return virtuoso


@pytest.mark.slow
@pytest.mark.virtuoso
def test_a_file_is_loaded_whole_and_replaces_its_graphs(
    filled: RunningStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VIRTUOSO_PASSWORD", "dba")  # the test server's own, on loopback
    monkeypatch.delenv("VIRTUOSO_USER", raising=False)
    assert push(filled, write(tmp_path / "new.nq.gz", LINES)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [f"{G1}\t2 triples sent\t2 in the store", f"{G2}\t2 triples sent\t2 in the store"]
    assert triples(filled, G1) == {
        ("<http://example.org/a>", "<http://example.org/p>", '"één"@nl'),
        ("<http://example.org/a>", "<http://example.org/p>", "<http://example.org/b>"),
    }
    # two blank nodes, each the other's object: the file was loaded whole, not in pieces
    cycle = "SELECT ?x ?y WHERE { ?x ?p ?y . ?y ?p ?x FILTER(?x != ?y) }"
    assert len(remote_select(filled.query_url, cycle, graphs=[G2]).rows) == 2
    assert count_triples(filled.query_url, G2) == 2
    assert leftovers(filled) == []


@pytest.mark.slow
@pytest.mark.virtuoso
@pytest.mark.parametrize(
    ("text", "changes", "message"),
    [
        (LINES, {"on_server": "/nowhere"}, "may not read /nowhere: add it to DirsAllowed"),
        (LINES, {"on_server": "empty"}, r"does not see /\S+/empty/omskg-push-\w+\.nq: is .* DirsAllowed"),
        (LINES, {"on_server": "missing"}, r"has no folder /\S+/missing: is .* --virtuoso-dir-on-server"),
        (LINES, {"VIRTUOSO_PASSWORD": "wrong"}, "refused the login of 'dba': check VIRTUOSO_USER"),
        (
            LINES,
            {"VIRTUOSO_USER": "nodba", "VIRTUOSO_PASSWORD": "secret"},
            "'nodba' may not run the bulk loader",
        ),
        (LINES + "<http://example.org/a> .\n", {}, r"new\.nq: not valid N-Quads.*line 6"),
    ],
    ids=[
        "folder-not-allowed",
        "another-folder",
        "missing-folder",
        "wrong-password",
        "not-dba",
        "broken-file",
    ],
)
def test_nothing_is_deleted_when_a_check_fails(
    filled: RunningStore, tmp_path: Path, text: str, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(OmsError, match=f"{message}.*[Nn]othing (of it )?was pushed"):
        bulk(filled, write(tmp_path / "new.nq", text), **changes)
    assert triples(filled, G1) == OLD
    assert leftovers(filled) == []


@pytest.mark.slow
@pytest.mark.virtuoso
def test_an_error_of_the_loader_is_reported_with_its_own_message(
    filled: RunningStore, tmp_path: Path
) -> None:
    with pytest.raises(OmsError, match=r"bulk loader did not load .*new\.nq \(state 2, .*SP029.*push again"):
        bulk(filled, write(tmp_path / "new.nq", LOADER_REFUSES))
    assert leftovers(filled) == []


@pytest.mark.slow
@pytest.mark.virtuoso
def test_the_progress_follows_the_graph_while_it_loads(
    virtuoso: RunningStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("omskg.virtuoso_bulk.POLL", 0.01)  # counts while 50,000 triples load
    lines = "".join(
        f'<http://example.org/s{i}> <http://example.org/p> "{i}" <{G2}> .\n' for i in range(50_000)
    )
    told = bulk(virtuoso, write(tmp_path / "many.nq.gz", lines))
    assert len(told) >= 2 and told[-1] == (G2, 50_000, 50_000)
    assert all(graph == G2 and total == 50_000 for graph, _, total in told)
    assert [done for _, done, _ in told] == sorted(done for _, done, _ in told)


@pytest.mark.slow
@pytest.mark.virtuoso
@pytest.mark.parametrize(
    ("extra", "text", "message"),
    [
        (["--virtuoso-dir-on-server", "/nowhere"], LINES, "may not read /nowhere"),
        ([], LINES + "<http://example.org/a> .\n", "not valid N-Quads"),
    ],
    ids=["folder-not-allowed", "broken-file"],
)
def test_a_failed_check_pushes_not_even_the_core_graph(
    virtuoso: RunningStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    text: str,
    message: str,
) -> None:
    core = f"http://example.org/bulk/core-{tmp_path.name}"  # the core graph goes here (--graph)
    monkeypatch.setenv("VIRTUOSO_PASSWORD", "dba")
    assert push(virtuoso, write(tmp_path / "new.nq", text), "--graph", core, *extra) == 2
    assert message in capsys.readouterr().err
    assert count_triples(virtuoso.query_url, core) == 0
    assert push(virtuoso, write(tmp_path / "new.nq", LINES), "--graph", core) == 0  # it would be pushed
    assert count_triples(virtuoso.query_url, core) == len(build_graph().graph)


@pytest.mark.slow
@pytest.mark.virtuoso
def test_what_a_killed_push_left_is_not_loaded_by_the_next(virtuoso: RunningStore, tmp_path: Path) -> None:
    assert virtuoso.folder
    stale = write(virtuoso.folder / "omskg-push-0123456789abcdef0123456789abcdef.nq", LOADER_REFUSES)
    folder = str(virtuoso.folder.resolve())
    isql(virtuoso.sql_port, f"ld_dir('{folder}', '{stale.name}', '{G1}');")  # waiting, as left
    assert leftovers(virtuoso) == [stale.name, f"{folder}/{stale.name}"]
    bulk(virtuoso, write(tmp_path / "new.nq", LINES))  # the stale file would fail the load
    assert triples(virtuoso, G1) == {
        ("<http://example.org/a>", "<http://example.org/p>", '"één"@nl'),
        ("<http://example.org/a>", "<http://example.org/p>", "<http://example.org/b>"),
    }
    assert leftovers(virtuoso) == []


@pytest.mark.slow
@pytest.mark.virtuoso
def test_a_connection_lost_during_the_load_is_an_error_naming_the_server(
    virtuoso: RunningStore, tmp_path: Path
) -> None:
    assert virtuoso.folder
    sql = VirtuosoSql.from_environment(f"127.0.0.1:{virtuoso.sql_port}", {"VIRTUOSO_PASSWORD": "dba"})
    folder = BulkFolder(virtuoso.folder, str(virtuoso.folder))
    failed = rf"Virtuoso at 127\.0\.0\.1:{virtuoso.sql_port} failed: "
    with (
        pytest.raises(OmsError, match=failed),
        BulkLoad(write(tmp_path / "new.nq", LINES), sql, folder) as ready,
    ):
        ready._cursor.connection.close()  # as a server that went away
        ready.load()
    assert [name for name in leftovers(virtuoso) if not name.startswith("/")] == []  # the copy is gone
