"""Federation is opt-in: SERVICE, LOAD, FROM / FROM NAMED and USING beyond the project's
graphs are refused before anything is sent, however the keyword is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from rdflib import Graph

from engines import ScriptedServer, results_reply
from omskg.cli import main
from omskg.errors import OmsError
from omskg.query import read_query, run_query
from omskg.remote_store import remote_select
from omskg.sparql_guard import check_query

OUT = "http://example.org/sparql"
OWN = "https://w3id.org/omskg/graph/"
REFUSED = [
    (f"SELECT * {{ SERVICE <{OUT}> {{ ?s ?p ?o }} }}", f"SERVICE <{OUT}>"),
    (f"SELECT * {{ SERVICE SILENT <{OUT}?x=1#y> {{ ?s ?p ?o }} }}", f"SERVICE <{OUT}?x=1#y>"),
    (f"SELECT * {{ sErViCe <{OUT}> {{ ?s ?p ?o }} }}", f"SERVICE <{OUT}>"),
    (f"SELECT * {{ \\u0053ERVICE <{OUT}> {{ ?s ?p ?o }} }}", f"SERVICE <{OUT}>"),
    (f"SELECT * {{ \\U00000053\\u0065rvice <{OUT}> {{ ?s ?p ?o }} }}", f"SERVICE <{OUT}>"),
    ("SELECT * { SERVICE <\\u0068ttp://example.org/sparql> { ?s ?p ?o } }", f"SERVICE <{OUT}>"),
    # the escape is decoded before parsing: the string ends there and SERVICE is a keyword
    (f'SELECT * {{ ?s ?p "\\u0022 . SERVICE <{OUT}> {{ ?s ?p ?o }} }} #"', f"SERVICE <{OUT}>"),
    ("PREFIX ex: <http://example.org/> SELECT * { SERVICE ex:sparql { ?s ?p ?o } }", f"SERVICE <{OUT}>"),
    ("SELECT * { { SELECT ?s { SERVICE <http://example.org/sparql> { ?s ?p ?o } } } }", f"SERVICE <{OUT}>"),
    ("SELECT * FROM <http://example.org/g> { ?s ?p ?o }", "FROM <http://example.org/g>"),
    ("SELECT * from named omse:oms { ?s ?p ?o }", "FROM NAMED <https://w3id.org/omskg/entity/oms>"),
    ("LOAD <http://example.org/data.ttl>", "LOAD <http://example.org/data.ttl>"),
    ("CLEAR ALL ; PREFIX ex: <http://example.org/> LOAD ex:data.ttl", "LOAD <http://example.org/data.ttl>"),
    ("DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }", "USING <http://example.org/g>"),
    # the project's IRIs name graphs for FROM and USING, but SERVICE and LOAD would fetch them
    (f"SELECT * WHERE {{ SERVICE <{OWN}x> {{ ?s ?p ?o }} }}", f"SERVICE <{OWN}x>"),
    (f"SELECT * WHERE {{ SERVICE <{OWN}core> {{ ?s ?p ?o }} }}", f"SERVICE <{OWN}core>"),
    (
        "SELECT * WHERE { SERVICE <https://w3id.org/omskg/entity/oms> {} }",
        "SERVICE <https://w3id.org/omskg/entity/oms>",
    ),
    (f"LOAD <{OWN}core>", f"LOAD <{OWN}core>"),
    (f"LOAD <http://example.org/data.ttl> INTO GRAPH <{OWN}core>", "LOAD <http://example.org/data.ttl>"),
]
HARMLESS = [
    f"SELECT * {{ ?s ?p ?o }} # SERVICE <{OUT}> {{ }}",
    f'SELECT * {{ ?s ?p "SERVICE <{OUT}> {{ ?s ?p ?o }}" }}',
    f"SELECT * {{ ?s ?p '''\nFROM <{OUT}>\n''' }}",
    "SELECT ?service ?load { ?service <http://example.org/SERVICE> ?load }",
    "PREFIX service: <http://example.org/> SELECT * { service:x service:from ?o }",
    "SELECT * FROM <https://w3id.org/omskg/graph/core> FROM NAMED <https://w3id.org/omskg/graph/hpo> {}",
]


@pytest.mark.parametrize(("text", "named"), REFUSED)
def test_outward_clauses_are_refused(text: str, named: str) -> None:
    endpoint = named.split("<")[1].split(">")[0].split("?")[0].split("#")[0]
    expected = (
        f"refused to send {named}: federation is opt-in; allow the endpoint with --allow-service {endpoint}"
    )
    with pytest.raises(OmsError) as refused:
        check_query(text)
    assert str(refused.value) == expected
    check_query(text, allowed=frozenset({endpoint}))


@pytest.mark.parametrize("text", HARMLESS)
def test_keywords_in_strings_comments_names_and_own_graphs_are_no_federation(text: str) -> None:
    check_query(text)


def test_a_service_variable_is_always_refused() -> None:
    with pytest.raises(OmsError, match=r"refused to send SERVICE \?where: its endpoint is known only while"):
        check_query(
            "SELECT * { VALUES ?where { <http://a/> } SERVICE ?where { ?s ?p ?o } }", frozenset({"http://a/"})
        )


def test_what_cannot_be_parsed_cannot_be_sent() -> None:
    with pytest.raises(OmsError, match=r"not valid SPARQL, so it cannot be checked before sending"):
        check_query("SELECT * { SERVICE <http://example.org/sparql> ")


@pytest.fixture()
def counting() -> Iterator[ScriptedServer]:
    with ScriptedServer([results_reply("x", ["a"])]) as server:
        yield server


def _federated_file(tmp_path: Path, server: ScriptedServer) -> Path:
    path = tmp_path / "federated.rq"
    text = f"SELECT ?x {{ SERVICE <{server.url}> {{ ?x ?p ?o }} }}\n"
    path.write_text(f"#+ summary: What does the other endpoint say?\n{text}", encoding="utf-8")
    return path


def test_in_process_queries_are_guarded(tmp_path: Path, counting: ScriptedServer) -> None:
    query = read_query(_federated_file(tmp_path, counting))
    with pytest.raises(OmsError, match=rf"refused to send SERVICE <{counting.url}>"):
        run_query(Graph(), query)
    assert counting.requests == []


def test_remote_queries_are_guarded_before_sending(counting: ScriptedServer) -> None:
    text = f"SELECT ?x {{ SERVICE <{OUT}> {{ ?x ?p ?o }} }}"
    with pytest.raises(OmsError, match=rf"refused to send SERVICE <{OUT}>"):
        remote_select(counting.url, text, graphs=())
    assert counting.requests == []


PROJECT_SERVICE = f"SELECT * WHERE {{ SERVICE <{OWN}x> {{ ?s ?p ?o }} }}"


def test_a_service_at_a_project_iri_is_refused_in_process(tmp_path: Path, offline: None) -> None:
    """`SERVICE <https://w3id.org/omskg/graph/x>` passed, being under the project's prefix,
    and rdflib would have sent the query there."""
    path = tmp_path / "own.rq"
    path.write_text(f"#+ summary: Ask the project's IRI.\n{PROJECT_SERVICE}\n", encoding="utf-8")
    with pytest.raises(OmsError, match=rf"^refused to send SERVICE <{OWN}x>: federation is opt-in"):
        run_query(Graph(), read_query(path))


def test_cli_refuses_a_service_at_a_project_iri(
    tmp_path: Path, offline: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "own.rq"
    path.write_text(f"#+ summary: Ask the project's IRI.\n{PROJECT_SERVICE}\n", encoding="utf-8")
    expected = f"error: refused to send SERVICE <{OWN}x>: federation is opt-in; allow the endpoint with "
    assert main(["query", str(path)]) == 2
    assert capsys.readouterr().err.startswith(expected)


def test_cli_does_not_send_a_service_at_a_project_iri_to_an_endpoint(
    tmp_path: Path, counting: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "own.rq"
    path.write_text(f"#+ summary: Ask the project's IRI.\n{PROJECT_SERVICE}\n", encoding="utf-8")
    assert main(["query", str(path), "--endpoint", counting.url]) == 2
    assert capsys.readouterr().err.startswith(f"error: refused to send SERVICE <{OWN}x>")
    assert counting.requests == []


def test_cli_allow_service_opens_federation_to_one_endpoint(
    tmp_path: Path, counting: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(_federated_file(tmp_path, counting))
    assert main(["query", path, "--endpoint", counting.url, "--allow-service", OUT]) == 2
    assert f"error: refused to send SERVICE <{counting.url}>" in capsys.readouterr().err
    assert counting.requests == []
    assert (
        main(["query", path, "--endpoint", counting.url, "--allow-service", counting.url, "--format", "csv"])
        == 0
    )
    assert capsys.readouterr().out == "x\na\n"
    [seen] = counting.requests
    assert f"SERVICE <{counting.url}>" in parse_qs(seen.body.decode())["query"][0]
