"""Command line: a thin layer over the library. Exit codes: 0 success, 1 checks failed
(SHACL violations, evidence problems) or, for ``diff``, releases differ; 2 bad input or usage;
130 interrupted (Ctrl-C)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Never
from urllib.parse import urlsplit

import pyoxigraph as ox
import yaml
from rdflib import Graph

from omskg.console import INTERRUPTED
from omskg.curation.annotate import annotate, as_tsv, project_index, rows
from omskg.curation.build import build_graph
from omskg.curation.drafts import drafts
from omskg.curation.evidence import verify_evidence
from omskg.curation.records import load_curated
from omskg.curation.review import REVIEW_FILE, format_review, pending_rows, read_review
from omskg.curation.sources import SOURCES_FILE, NewSource, add_source, document_text, locate
from omskg.curation.validate import validate
from omskg.errors import DataError, OmsError
from omskg.fileio import write_files_atomically
from omskg.linked.agreement import (
    DEFAULT_CONDITION,
    DEFAULT_DISEASE,
    compare_with_record,
    sort_joined,
    summary_lines,
)
from omskg.linked.conformance import compare_core, graph_size, validate_linked
from omskg.linked.lookalikes import lookalikes_table, own_record_lines, rank_lookalikes
from omskg.linked.store import HPO, build_store, core_store, load_linked, open_store, unknown_store_iris
from omskg.paths import project_root
from omskg.prefixes import CORE_GRAPH, HPO_GRAPH
from omskg.query import (
    FORMATS,
    QUERY_FOLDERS,
    NamedQuery,
    Table,
    bind_parameters,
    find_query,
    format_table,
    list_queries,
    run_query,
    unknown_iris,
)
from omskg.rdfio import read_graph
from omskg.release.diff import diff_releases
from omskg.release.diff import report as diff_report
from omskg.release.pipeline import build_release, steps
from omskg.release.sparql_examples import EXAMPLES_GRAPH, checked_sparql_examples
from omskg.release.stamp import STAMP
from omskg.release.stats import compute_stats
from omskg.remote_store import (
    DEFAULT_STEP,
    HttpPolicy,
    Steps,
    count_triples,
    push_file,
    push_graph,
    remote_select,
    run_remote_query,
    store_urls,
)
from omskg.virtuoso_bulk import BulkFolder, BulkLoad, VirtuosoSql
from omskg.web.diagram import FORMATS as DIAGRAM_FORMATS
from omskg.web.diagram import entity_iri, local_name, render, to_dot
from omskg.web.sandbox import run_isolated_query


class _Progress:
    """Step lines on standard error, with the time each step took."""

    def __init__(self, total: int) -> None:
        self.total, self.step, self.started = total, 0, time.perf_counter()

    def __call__(self, message: str) -> None:
        self.step += 1
        elapsed = time.perf_counter() - self.started
        print(f"[{self.step}/{self.total}] {message} ({elapsed:.1f}s)", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    out = Path(args.out)
    progress = _Progress(steps(link=not args.no_link))
    release = build_release(out, link=not args.no_link, force=args.force, progress=progress)
    if not release.written:
        print(release.report.text())
        print(f"not written: {args.out} keeps its previous content", file=sys.stderr)
        return 1
    if release.unchanged:
        print(
            f"{args.out} is up to date: nothing it was built from has changed, and its files are as "
            f"written (recorded in {args.out}/{STAMP}); kept as it is",
            file=sys.stderr,
        )
    for line in _size_lines(release.sizes, out):
        print(line)
    return 0


def _size_lines(sizes: dict[Path, int], out: Path) -> list[str]:
    """One line per file, and one per sub-folder with its file count and total size."""
    folders: dict[Path, list[int]] = {}
    lines = []
    for path, size in sizes.items():
        relative = path.relative_to(out)
        if len(relative.parts) > 1:
            folders.setdefault(out / relative.parts[0], []).append(size)
        else:
            lines.append(f"{path}\t{size} bytes")
    lines += [
        f"{folder}/\t{len(s)} file{'s' * (len(s) != 1)}, {sum(s)} bytes" for folder, s in folders.items()
    ]
    return lines


def cmd_validate(args: argparse.Namespace) -> int:
    if not args.store:
        report = validate(build_graph())
        print(report.text())
        return 0 if report.conforms else 1
    store = open_store(Path(args.store))
    built = build_graph()
    comparison = compare_core(store, built)
    print(f"core graph: {comparison.text()}")
    print(f"core graph: {len(built.graph)} triples checked against ontology/shapes/omskg-shapes.ttl")
    core_report = validate(built)
    print(core_report.text())
    print(
        f"HPO graph: {graph_size(store, HPO)} triples checked on the store "
        "(ontology/shapes/linked-shapes.ttl compiled to SPARQL)"
    )
    linked_report = validate_linked(store)
    print(linked_report.text())
    return 0 if comparison.same and core_report.conforms and linked_report.conforms else 1


def cmd_query(args: argparse.Namespace) -> int:
    if args.list:
        for folder in QUERY_FOLDERS:
            for query in list_queries(folder=folder):
                example = " ".join(f"--param {p}={query.example[p]}" for p in query.parameters)
                names = f"  (needs {example})" if query.parameters else ""
                needs = "  (needs --store or --endpoint with the HPO graph)" if folder == "linked" else ""
                print(f"{query.name}: {query.summary}{names}{needs}")
        return 0
    if not args.query:
        raise OmsError("name a query (or a .rq file); `omskg query --list` shows them")
    params: dict[str, str] = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise OmsError(f"--param needs NAME=VALUE, got {item!r}")
        params[key] = value
    query = find_query(args.query)
    if _asks_hpo(query) and not (args.store or (args.endpoint and args.with_hpo)):
        raise OmsError(
            f"{query.name} asks the HPO graph: give --store DIR (made by `omskg link`) or "
            "--endpoint URL --with-hpo"
        )
    if args.endpoint:
        table = _remote_table(args, query, params)
    elif args.store:  # a worker process answers, under --timeout: pyoxigraph can crash or run for ever
        _warn_unknown(unknown_store_iris(open_store(Path(args.store)), bind_parameters(query, params)))
        table = run_isolated_query(Path(args.store), query, params, timeout=args.timeout)
    else:
        graph = build_graph().graph
        _warn_unknown(unknown_iris(graph, bind_parameters(query, params)))
        table = run_query(graph, query, params)
    sys.stdout.write(format_table(sort_joined(table), args.format))  # GROUP_CONCAT keeps no order
    return 0


def _asks_hpo(query: NamedQuery) -> bool:
    """Whether ``query`` is one of queries/linked/, the questions of the HPO graph."""
    return query.path.parent.name == "linked"


def _warn_unknown(iris: list[str]) -> None:
    for iri in iris:
        print(f"warning: {iri} names nothing in the graph; the answer will be empty", file=sys.stderr)


def _remote_table(args: argparse.Namespace, query: NamedQuery, params: dict[str, str]) -> Table:
    graphs = [*(args.graph or [str(CORE_GRAPH)]), *([str(HPO_GRAPH)] if args.with_hpo else [])]
    policy = HttpPolicy(timeout=args.timeout, attempts=args.retries + 1)
    if _asks_hpo(query):  # without the HPO graph, the answer would be plausible and wrong
        probe = remote_select(
            args.endpoint, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", graphs=[str(HPO_GRAPH)], policy=policy
        )
        if not probe.rows:
            raise OmsError(
                f"{args.endpoint} holds no HPO graph <{HPO_GRAPH}>: push it there with "
                "`omskg push URL --hpo FILE`"
            )
    return run_remote_query(
        args.endpoint,
        query,
        params,
        graphs=graphs,
        page_size=args.page_size,
        allowed=frozenset(args.allow_service),
        policy=policy,
    )


def _virtuoso_bulk(args: argparse.Namespace) -> tuple[VirtuosoSql, BulkFolder] | None:
    """With --virtuoso-bulk, how to reach Virtuoso's bulk loader: its SQL address (the URL's
    host, port 1111, unless --virtuoso-sql) with the credentials in the environment, and the
    shared folder."""
    if not args.virtuoso_bulk:
        if args.virtuoso_sql or args.virtuoso_dir_on_server:
            raise OmsError("--virtuoso-sql and --virtuoso-dir-on-server go with --virtuoso-bulk DIR")
        return None
    if not args.hpo:
        raise OmsError("--virtuoso-bulk loads the file given with --hpo; give it")
    sql = VirtuosoSql.from_environment(args.virtuoso_sql or urlsplit(args.url).hostname or "")
    folder = Path(args.virtuoso_bulk).resolve()
    return sql, BulkFolder(folder, args.virtuoso_dir_on_server or str(folder))


def cmd_push(args: argparse.Namespace) -> int:
    bulk = _virtuoso_bulk(args)
    urls = store_urls(args.url, gsp=args.gsp, query=args.query_url, update=args.update_url)
    policy = HttpPolicy(timeout=args.timeout)
    stepwise = Steps(urls.query, urls.update, args.step) if args.step else None
    with contextlib.ExitStack() as stack:
        # the bulk route checks the file, the login and the folder before the core graph is sent
        ready = stack.enter_context(BulkLoad(Path(args.hpo), *bulk)) if bulk else None
        progress = stack.enter_context(push_progress())
        pushes = [push_graph(build_graph().graph, urls.gsp, args.graph, policy=policy, steps=stepwise)]
        if ready:
            pushes += ready.load(progress)
        elif args.hpo:
            pushes += push_file(Path(args.hpo), urls.gsp, policy=policy, steps=stepwise, progress=progress)
    complete = True
    for pushed in pushes:
        stored = count_triples(urls.query, pushed.graph, policy=policy)
        print(f"{pushed.graph}\t{pushed.triples} triples sent\t{stored} in the store")
        complete = complete and stored == pushed.triples
    return 0 if complete else 1


def cmd_link(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    keep = Path(args.nquads) if args.nquads else None
    examples = {EXAMPLES_GRAPH: checked_sparql_examples()}
    summary = build_store(Path(args.store), build_graph(), keep=keep, progress=True, graphs=examples)
    print("\n".join(summary.lines()))
    print(f"store {args.store} ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


def _linked_store(args: argparse.Namespace) -> ox.Store:
    """The store made by `omskg link` (``--store``), else the core and HPO graphs loaded in memory."""
    if args.store:
        return open_store(Path(args.store))
    print("loading the core graph and the HPO dataset into memory (--store DIR skips this)", file=sys.stderr)
    store = core_store(build_graph())
    load_linked(store)
    return store


def cmd_agreement(args: argparse.Namespace) -> int:
    agreement = compare_with_record(_linked_store(args), args.condition, args.disease)
    sys.stdout.write(format_table(agreement.table, args.format))
    notes = sys.stdout if args.format == "table" else sys.stderr
    print("\n".join(summary_lines(agreement)), file=notes)
    return 0


def cmd_lookalikes(args: argparse.Namespace) -> int:
    result = rank_lookalikes(_linked_store(args), args.condition, having=args.having, top=args.top)
    features = 5 if args.format == "table" else None
    sys.stdout.write(format_table(lookalikes_table(result, features=features), args.format))
    notes = sys.stdout if args.format == "table" else sys.stderr
    print("\n".join(own_record_lines(result)), file=notes)
    return 0


def cmd_verify_evidence(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        raise OmsError(f"{directory}: not a folder of source documents")
    check = verify_evidence(build_graph(), directory)
    for line in (*check.copies, *check.moved, *check.problems):
        print(line)
    verdict = "all hold" if check.ok else f"{len(check.problems)} problem(s)"
    found = f", {len(check.moved)} found by their quote at other offsets" if check.moved else ""
    print(
        f"checked {check.documents} document(s) and {check.evidence} piece(s) of evidence{found}: {verdict}"
    )
    return 0 if check.ok else 1


def _sources_folder(args: argparse.Namespace) -> Path:
    folder = args.sources or os.environ.get("OMSKG_SOURCES")
    if not folder:
        raise OmsError("name the folder of the source documents with --sources DIR (or OMSKG_SOURCES)")
    if not Path(folder).is_dir():
        raise OmsError(f"{folder}: not a folder of source documents")
    return Path(folder)


def cmd_sources_add(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise OmsError(f"{path}: no such file")
    new = NewSource(
        path=path,
        id=args.id or re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-"),
        title=args.title,
        creator=args.creator,
        publisher=args.publisher,
        published=args.published,
        description=args.description or "",
        evidence_code=args.evidence_code,
    )
    record = add_source(project_root(), new)
    size = f"{record['characters']} characters, SHA-256 {record['sha256']}"
    print(f"registered {record['id']} in {SOURCES_FILE}: {size}")
    print(f"keep {path.name} in your folder of documents; cite it as `source: {record['id']}`")
    return 0


def cmd_locate(args: argparse.Namespace) -> int:
    text = document_text(project_root(), args.source, _sources_folder(args))
    matches = locate(text, args.phrase)
    if not matches:
        print(
            f"{args.source}: the phrase is not in the document (not even ignoring case and spacing)",
            file=sys.stderr,
        )
        return 1
    for match in matches:
        print(f"{match.how}\t{match.start}\t{match.end}")
        print("    - " + match.evidence(args.source).replace("\n", "\n       "))
    return 0


def cmd_annotate(args: argparse.Namespace) -> int:
    if args.draft and not args.subject:
        raise OmsError("--draft needs --subject ID, the record the drafted statements are about")
    text = document_text(project_root(), args.source, _sources_folder(args))
    graph = build_graph().graph
    findings = annotate(text, project_index(graph))
    if args.draft:
        made = drafts(findings, graph, subject=args.subject, source=args.source, text=text)
        out = Path(args.draft)
        files = {out: made.statements}
        if made.entities:
            files[out.with_suffix(".entities.yaml")] = made.entities
        write_files_atomically(files)
        for path, body in files.items():
            count = body.count("\n  draft: true\n")
            print(f"{count} draft record(s) written to {path}", file=sys.stderr)
    if args.format == "yaml":
        sys.stdout.write(yaml.safe_dump(rows(findings), sort_keys=False, allow_unicode=True))
    else:
        sys.stdout.write(as_tsv(findings))
    return 0


def _release_graph(location: str) -> Graph:
    """A release's graph: an RDF file, or a folder holding ``omskg.nt`` (a ``dist/``)."""
    path = Path(location)
    return read_graph(path / "omskg.nt" if path.is_dir() else path)


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = _release_graph(args.old), _release_graph(args.new)
    result = diff_releases(old, new)
    print("\n".join(diff_report(result, old, new)))
    if args.rdf:
        text = result.as_dataset().serialize(format="trig")
        write_files_atomically({Path(args.rdf): text})
        print(f"triple difference written to {args.rdf}", file=sys.stderr)
    return 0 if result.empty else 1


def cmd_diagram(args: argparse.Namespace) -> int:
    entity = entity_iri(args.condition)
    stem = Path(args.out) if args.out else Path("diagrams") / local_name(entity)
    for path in render(to_dot(build_graph().graph, entity), stem, formats=args.format or DIAGRAM_FORMATS):
        print(path)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    root = project_root()
    statements = load_curated(root / "data", root=root).statements
    pending = pending_rows(statements, read_review(root / REVIEW_FILE))
    if not pending:
        print(f"every statement has a current row in {REVIEW_FILE}", file=sys.stderr)
        return 0
    sys.stdout.write(format_review(pending))
    print(
        f"{len(pending)} statement(s) changed or added since their review: read each against its passages, "
        f"give a verdict and a reason, and put the rows into {REVIEW_FILE} (replacing stale ones)",
        file=sys.stderr,
    )
    return 1


def cmd_stats(args: argparse.Namespace) -> int:
    print("\n".join(compute_stats(build_graph().graph).lines()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from omskg.web.server import serve  # the web stack loads only for this command

    sources = args.sources or os.environ.get("OMSKG_SOURCES")
    serve(
        host=args.host,
        port=args.port,
        store=Path(args.store) if args.store else None,
        sources=Path(sources) if sources else None,
        timeout=args.query_timeout,
        workers=args.workers,
    )
    return 0


def _step(text: str) -> int:
    count = int(text) if text.isdigit() else -1
    if count and not 1_000 <= count <= 10_000_000:
        raise argparse.ArgumentTypeError(
            f"give 0 (one PUT a graph) or 1000 to 10000000 triples a step, not {text}"
        )
    return count


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 1e6:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"give a number of seconds above 0, not {text}")
    return seconds


def _at_least_one(text: str) -> int:
    number = int(text) if text.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"give a whole number from 1, not {text}")
    return number


def _port(text: str) -> int:
    number = int(text) if text.isdigit() else -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"give a port from 0 to 65535, not {text}")
    return number


@contextlib.contextmanager
def push_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on standard error for each graph pushed in steps or bulk-loaded (none
    when standard error is not a terminal); closed when the push ends."""
    from tqdm import tqdm

    bars: dict[str, tqdm[Never]] = {}

    def show(graph: str, sent: int, total: int) -> None:
        if graph not in bars:
            bars[graph] = tqdm(total=total, unit=" triples", desc=f"<{graph}>", file=sys.stderr, disable=None)
        bars[graph].total = total  # lower at the end when the file repeated triples
        bars[graph].update(sent - bars[graph].n)

    try:
        yield show
    finally:
        for bar in bars.values():
            bar.close()


def _retries(text: str) -> int:
    count = int(text)
    if not 0 <= count <= 20:
        raise argparse.ArgumentTypeError(f"give 0 to 20 retries, not {count}")
    return count


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``omskg`` command."""
    top = argparse.ArgumentParser(prog="omskg", description=__doc__)
    top.add_argument("--version", action="version", version=f"omskg {version('omskg')}")
    sub = top.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build, validate and export the graph into a folder")
    build.add_argument("--out", default="dist", help="output folder (default: dist)")
    build.add_argument(
        "--no-link", action="store_true", help="skip the HPO store and the reports that need it (saves ~40 s)"
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="replace the output folder even if it holds files that a build does not write",
    )
    build.set_defaults(func=cmd_build)
    check = sub.add_parser("validate", help="print the SHACL report; exit 1 on violations")
    check.add_argument(
        "--store", metavar="DIR", help="validate a store instead (its core graph and its HPO graph)"
    )
    check.set_defaults(func=cmd_validate)
    query = sub.add_parser("query", help="run a competency question or a .rq file")
    query.add_argument("query", nargs="?", help="query name (see --list) or path to a .rq file")
    query.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="bind a parameter (repeatable)"
    )
    query.add_argument("--format", choices=FORMATS, default="table")
    query.add_argument("--list", action="store_true", help="list the named queries")
    query.add_argument("--endpoint", metavar="QUERY_URL", help="ask this SPARQL endpoint instead of building")
    query.add_argument("--store", metavar="DIR", help="ask the store made by `omskg link`")
    query.add_argument(
        "--graph", action="append", metavar="IRI", help="with --endpoint: graph to read (default: core)"
    )
    query.add_argument("--with-hpo", action="store_true", help="with --endpoint: read the HPO graph too")
    query.add_argument("--page-size", type=int, metavar="N", help="with --endpoint: fetch N rows at a time")
    query.add_argument(
        "--allow-service",
        action="append",
        default=[],
        metavar="URL",
        help="with --endpoint: let SERVICE/FROM reach this endpoint (repeatable)",
    )
    query.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="with --endpoint or --store: seconds to wait (60)",
    )
    query.add_argument(
        "--retries",
        type=_retries,
        default=4,
        metavar="N",
        help="with --endpoint: tries again after a refused or dropped connection, 429, 502 or 503, "
        "waiting 0.5 s, 1 s, 2 s, ... or as Retry-After asks (4; 0 to 20)",
    )
    query.set_defaults(func=cmd_query)
    push = sub.add_parser("push", help="replace the core graph in a SPARQL store (Graph Store Protocol)")
    push.add_argument("url", help="the store's base URL or its Graph Store Protocol URL (Oxigraph: /store)")
    push.add_argument("--gsp", metavar="URL", help="Graph Store Protocol URL, if not URL/store")
    push.add_argument("--query-url", metavar="URL", help="SPARQL query URL, if not URL/query")
    push.add_argument("--graph", default=str(CORE_GRAPH), metavar="IRI", help="graph to replace (core)")
    push.add_argument(
        "--hpo", metavar="FILE", help="also push the HPO graph, as `omskg link --nquads` wrote it"
    )
    push.add_argument("--update-url", metavar="URL", help="SPARQL update URL, if not URL/update")
    push.add_argument(
        "--timeout",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="seconds to wait for an answer (60), one more per megabyte a write sends",
    )
    push.add_argument(
        "--step",
        type=_step,
        default=DEFAULT_STEP,
        metavar="N",
        help=f"replace a graph of more than N triples N at a time ({DEFAULT_STEP}; 0: each graph in one PUT)",
    )
    push.add_argument(
        "--virtuoso-bulk",
        metavar="DIR",
        help="load the --hpo file with Virtuoso's own bulk loader from DIR, a folder the server "
        "reads (in its DirsAllowed); the user and password come from VIRTUOSO_USER (dba) and "
        "VIRTUOSO_PASSWORD",
    )
    push.add_argument(
        "--virtuoso-sql",
        metavar="HOST:PORT",
        help="with --virtuoso-bulk: Virtuoso's SQL port (URL's host:1111)",
    )
    push.add_argument(
        "--virtuoso-dir-on-server",
        metavar="PATH",
        help="with --virtuoso-bulk: the server's path of DIR, if not the same (a server in a container)",
    )
    push.set_defaults(func=cmd_push)
    link = sub.add_parser("link", help="load the core graph and the linked HPO dataset into an on-disk store")
    link.add_argument("--store", default="dist/store", metavar="DIR", help="store folder (dist/store)")
    link.add_argument("--nquads", metavar="FILE", help="also write the HPO graph as N-Quads (.gz: gzip)")
    link.set_defaults(func=cmd_link)
    agreement = sub.add_parser("agreement", help="compare our phenotypes with an HPO disease annotation")
    agreement.add_argument("--condition", default=DEFAULT_CONDITION, help="our condition (omse:oms)")
    agreement.add_argument("--disease", default=DEFAULT_DISEASE, help="the disease record (ORPHA:1183)")
    agreement.add_argument("--format", choices=FORMATS, default="table")
    agreement.add_argument("--store", metavar="DIR", help="use the store made by `omskg link`")
    agreement.set_defaults(func=cmd_agreement)
    lookalikes = sub.add_parser("lookalikes", help="rank diseases whose HPO profiles resemble a condition's")
    lookalikes.add_argument("--condition", default=DEFAULT_CONDITION, help="our condition (omse:oms)")
    lookalikes.add_argument("--having", metavar="HP:...", help="only diseases with this or a narrower term")
    lookalikes.add_argument(
        "--top", type=_at_least_one, default=10, metavar="N", help="how many to list (10)"
    )
    lookalikes.add_argument("--format", choices=FORMATS, default="table")
    lookalikes.add_argument("--store", metavar="DIR", help="use the store made by `omskg link`")
    lookalikes.set_defaults(func=cmd_lookalikes)
    sources = sub.add_parser("sources", help="the source documents: register a new one").add_subparsers(
        dest="sources_command", required=True, metavar="{add}"
    )
    added = sources.add_parser(
        "add", help="register a document in data/sources.yaml (its digest, length, origin)"
    )
    added.add_argument("file", help="the document, UTF-8 plain text")
    added.add_argument("--id", help="its record id (default: from the file name)")
    added.add_argument("--title", required=True)
    added.add_argument("--creator", required=True, help="author or issuing body")
    added.add_argument("--publisher", required=True)
    added.add_argument(
        "--published", required=True, help='where and when, as the text says ("not stated" otherwise)'
    )
    added.add_argument("--description", help="what the document is, in your own words")
    added.add_argument("--evidence-code", default="ECO:0000304", help="default ECO code of its evidence")
    added.set_defaults(func=cmd_sources_add)
    located = sub.add_parser(
        "locate", help="print the offsets (and the quote) of a phrase in a registered document"
    )
    located.add_argument("source", help="the document's record id (gale-oms)")
    located.add_argument("phrase")
    located.add_argument("--sources", metavar="DIR", help="folder of the documents (or OMSKG_SOURCES)")
    located.set_defaults(func=cmd_locate)
    annotated = sub.add_parser(
        "annotate", help="find HPO terms and the project's entities in a registered document"
    )
    annotated.add_argument("source", help="the document's record id")
    annotated.add_argument("--sources", metavar="DIR", help="folder of the documents (or OMSKG_SOURCES)")
    annotated.add_argument("--format", choices=("tsv", "yaml"), default="tsv")
    annotated.add_argument("--draft", metavar="OUT.yaml", help="also write draft statement records here")
    annotated.add_argument("--subject", metavar="ID", help="the record the drafts are about (with --draft)")
    annotated.set_defaults(func=cmd_annotate)
    verify = sub.add_parser("verify-evidence", help="check digests and offsets against the sources")
    verify.add_argument("directory", help="folder holding the source documents")
    verify.set_defaults(func=cmd_verify_evidence)
    served = sub.add_parser("serve", help="serve the graph as linked data, web pages and a SPARQL endpoint")
    served.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    served.add_argument("--port", type=_port, default=8000, help="port (8000; 0: any free one)")
    served.add_argument(
        "--store", metavar="DIR", help="serve this store (core and HPO graphs) instead of building"
    )
    served.add_argument(
        "--sources",
        metavar="DIR",
        help="folder of the source documents, to show cited passages ($OMSKG_SOURCES)",
    )
    served.add_argument(
        "--query-timeout", type=_seconds, default=10.0, metavar="S", help="SPARQL time limit (10)"
    )
    served.add_argument(
        "--workers", type=_at_least_one, default=1, metavar="N", help="SPARQL worker processes (1)"
    )
    served.set_defaults(func=cmd_serve)
    sub.add_parser("stats", help="print counts of the graph").set_defaults(func=cmd_stats)
    sub.add_parser(
        "review", help="print an open review row for each statement changed or added since its review"
    ).set_defaults(func=cmd_review)
    diagram = sub.add_parser("diagram", help="draw a condition's neighbourhood with Graphviz (SVG, PNG)")
    diagram.add_argument(
        "condition", nargs="?", default=DEFAULT_CONDITION, help="CURIE or IRI of the entity (omse:oms)"
    )
    diagram.add_argument("--out", metavar="STEM", help="write STEM.svg, STEM.png (diagrams/<name>)")
    diagram.add_argument(
        "--format", action="append", choices=DIAGRAM_FORMATS, help="svg or png (repeatable; default both)"
    )
    diagram.set_defaults(func=cmd_diagram)
    diff = sub.add_parser(
        "diff", help="compare two releases (files or dist folders); exit 1 when they differ, like diff"
    )
    diff.add_argument("old", help="the earlier release: an RDF file or a folder with omskg.nt")
    diff.add_argument("new", help="the later release")
    diff.add_argument("--rdf", metavar="FILE.trig", help="also write the triple difference as TriG")
    diff.set_defaults(func=cmd_diff)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except DataError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a command that stopped reading (head, less)
        sys.stderr.close()
        return 0
    except (OmsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C: one line, not a traceback, and the shell's code for it
        after = (
            f"; {args.out} holds the previous release, or the new one whole if it was already in place"
            if args.command == "build"
            else "".join(f"; {what}" for what in exc.args)  # what the interrupted step left
        )
        print(f"error: interrupted{after}", file=sys.stderr)
        return INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
