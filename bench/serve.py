"""Benchmark: how fast does ``omskg serve`` answer, and how fast does a page render?

Run ``make bench-serve`` (or ``python bench/serve.py``). It starts ``omskg serve`` on a
free port of 127.0.0.1 (with ``--sources $OMSKG_SOURCES`` when set, so pages carry the
cited passages), then:

1. asks each route ``--repeat`` times over one kept-alive connection and reports the
   median and 95th percentile, and the median as a ratio to the server's own static
   style sheet (the reference: the cheapest thing the same server sends);
2. under load: sends each route ``--requests`` times over ``--concurrency`` kept-alive
   connections at once, in ``--rounds`` rounds over all routes, and reports the median
   requests per second, and that as a ratio to the
   style sheet's (measured in the same run, so the ratios carry over between machines),
   with the time the first request took (the document not yet made);
3. a mixed load: ``--mixed`` requests over ``--mixed-concurrency`` connections, drawn
   (seeded) from static files, the home page, searches, the ontology's documentation,
   303 redirects, SPARQL queries and the four documents of up to 200 entities, most of
   them not yet asked for; reports the 50th, 95th and 99th percentiles of the latency;
4. opens each page in headless Chromium (when found) and reports the time from the
   start of navigation to the end of the ``load`` event, from the browser's own
   Navigation Timing entry.

The load generator is pure Python (asyncio streams speaking HTTP/1.1, several times
faster than an HTTP library, so that the client is not what is measured), on the same
machine, to 127.0.0.1 only, with a bounded number of requests.

Targets: every page renders in well under a second (issue 5): a 95th percentile under
:data:`PAGE_TARGET_MS` for the HTTP answer and a load event under the same bound in the
browser; every entity document (HTML, Turtle, JSON-LD, N-Triples) at least
:data:`THROUGHPUT_RATIO` of the style sheet's throughput at concurrency 50, and a 99th
percentile under :data:`MIXED_P99_MS` for the mixed load at concurrency 100 (issue 15).
The run exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

PAGE_TARGET_MS = 500.0
THROUGHPUT_RATIO = 0.5  # an entity document within 2x the style sheet's requests per second
MIXED_P99_MS = 1000.0
REFERENCE = "/static/style.css"
ROUTES = [
    REFERENCE,
    "/",
    "/search?q=clonazepam",
    "/entity/oms.html",
    "/entity/clonazepam.html",
    "/entity/myoclonus.html",
    "/vocab/hasTreatment.html",
    "/entity/oms.ttl",
    "/entity/oms.jsonld",
    "/entity/oms.nt",
    "/docs/ontology.html",
    "/sparql?query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
]
#: Routes timed under load; the entity documents among them have a throughput target.
LOADED = [
    REFERENCE,
    "/",
    "/search?q=eye",
    "/entity/oms.html",
    "/entity/oms.ttl",
    "/entity/oms.jsonld",
    "/entity/oms.nt",
    "/entity/clonazepam.html",
    "/entity/clonazepam.ttl",
    "/entity/clonazepam.jsonld",
    "/entity/clonazepam.nt",
    "/vocab/hasTreatment.html",
    "/docs/ontology.html",
]
ENTITY_DOCUMENT = (".html", ".ttl", ".jsonld", ".nt")
COUNT_QUERY = "/sparql?query=" + quote("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
ENTITIES_QUERY = (
    "SELECT DISTINCT ?s { ?s ?p ?o "
    'FILTER(STRSTARTS(STR(?s), "https://w3id.org/omskg/entity/")) } ORDER BY ?s LIMIT 200'
)
SEARCH_WORDS = ["eye", "myoclonus", "clonazepam", "tumour", "child", "steroid", "sleep", "ataxia"]
PAGES = ["/", "/search?q=clonazepam", "/entity/oms.html", "/entity/clonazepam.html", "/docs/ontology.html"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def start_server(folder: Path, store: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sources = os.environ.get("OMSKG_SOURCES")
    command = [sys.executable, "-m", "omskg.cli", "serve", "--port", str(port)]
    command += ["--sources", sources] if sources else []
    command += ["--store", store] if store else []
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"omskg serve exited: {(folder / 'serve.log').read_text()}")
        try:
            if httpx.get(base + "/", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("omskg serve did not answer within 120 s")


def time_routes(base: str, repeat: int) -> dict[str, list[float]]:
    """Milliseconds of each request to each route (after two warm-up requests)."""
    timings: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for route in ROUTES:
            for _ in range(2):
                client.get(route).raise_for_status()
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(route)
                _ = response.content
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            timings[route] = times
    return timings


# --- load: a small HTTP/1.1 client on asyncio streams ----------------------------------------


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, accept: str
) -> int:
    """One GET on a kept-alive connection; its status (the body is read and dropped).
    -1 when the server asks to close the connection after it."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: {accept}\r\n\r\n".encode("latin-1"))
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in head[1:] if h)
    }
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return -status if headers.get("connection", "").lower() == "close" else status


async def _connection(
    host: str, port: int, jobs: Iterator[tuple[str, str]], results: list[tuple[str, int, float]]
) -> None:
    """Take jobs (path, Accept) one after another over one connection, opened again when closed."""
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    for path, accept in jobs:
        started = time.perf_counter()
        try:
            if streams is None:
                streams = await asyncio.open_connection(host, port)
            status = await _exchange(*streams, path, accept)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status = 0
        results.append((path, abs(status), time.perf_counter() - started))
        if status <= 0 and streams is not None:
            streams[1].close()
            streams = None
    if streams is not None:
        streams[1].close()


def load(
    base: str, jobs: list[tuple[str, str]], concurrency: int
) -> tuple[float, list[tuple[str, int, float]]]:
    """Send ``jobs`` over ``concurrency`` connections; the seconds it took and, per request,
    its path, status and seconds."""
    url = urlsplit(base)
    results: list[tuple[str, int, float]] = []

    async def run() -> float:
        queue = iter(jobs)
        started = time.perf_counter()
        await asyncio.gather(
            *(_connection(url.hostname or "", url.port or 80, queue, results) for _ in range(concurrency))
        )
        return time.perf_counter() - started

    return asyncio.run(run()), results


def throughput(
    base: str, requests: int, concurrency: int, rounds: int
) -> dict[str, tuple[float, float, int]]:
    """Per route: requests per second under load (the median of ``rounds`` rounds, each
    over every route in turn, so that a busy moment of the machine does not fall on one
    route only), milliseconds of its first request, failed requests."""
    firsts: dict[str, float] = {}
    for route in LOADED:
        started = time.perf_counter()
        httpx.get(base + route, timeout=60).raise_for_status()
        firsts[route] = (time.perf_counter() - started) * 1000
    rates: dict[str, list[float]] = {route: [] for route in LOADED}
    errors = dict.fromkeys(LOADED, 0)
    for _ in range(rounds):
        for route in LOADED:
            seconds, results = load(base, [(route, "*/*")] * requests, concurrency)
            errors[route] += sum(1 for _, status, _ in results if status != 200)
            rates[route].append(len(results) / seconds)
    return {route: (statistics.median(rates[route]), firsts[route], errors[route]) for route in LOADED}


def mixed_jobs(base: str, count: int, seed: int = 15) -> list[tuple[str, str]]:
    """``count`` requests drawn from what visitors and clients ask for, most documents cold."""
    answer = httpx.get(
        base + "/sparql", params={"query": ENTITIES_QUERY}, headers={"Accept": "application/json"}, timeout=60
    ).json()
    paths = [b["s"]["value"].removeprefix("https://w3id.org/omskg") for b in answer["results"]["bindings"]]
    chance = random.Random(seed)
    kinds = [
        (10, lambda: (REFERENCE, "text/css")),
        (2, lambda: ("/static/favicon.svg", "*/*")),
        (6, lambda: ("/", "text/html")),
        (8, lambda: (f"/search?q={chance.choice(SEARCH_WORDS)}", "text/html")),
        (2, lambda: ("/docs/ontology.html", "text/html")),
        (8, lambda: (chance.choice(paths), chance.choice(["text/html", "text/turtle"]))),
        (3, lambda: (COUNT_QUERY, "application/sparql-results+json")),
        (61, lambda: (chance.choice(paths) + chance.choice(ENTITY_DOCUMENT), "*/*")),
    ]
    weights = [w for w, _ in kinds]
    return [chance.choices(kinds, weights)[0][1]() for _ in range(count)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_renders(base: str, repeat: int) -> dict[str, list[float]] | None:
    """Milliseconds from navigation start to the end of the load event, per page; None
    without Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    renders: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        for path in PAGES:
            page.goto(base + path)  # warm-up
            renders[path] = []
            for _ in range(repeat):
                page.goto(base + path, wait_until="load")
                entry = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
                renders[path].append(entry["loadEventEnd"] - entry["startTime"])
        browser.close()
    return renders


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def report_load(
    rates: dict[str, tuple[float, float, int]],
    mixed: tuple[float, list[tuple[str, int, float]]],
    concurrency: int,
    mixed_concurrency: int,
) -> tuple[list[str], list[str]]:
    """The throughput table and the mixed load's percentiles, and one line per missed target."""
    reference = rates[REFERENCE][0]
    lines = [
        f"| route, at concurrency {concurrency} | req/s | ratio to the style sheet "
        "| first request | errors |",
        "|---|---|---|---|---|",
    ]
    failures = []
    for route, (rate, first_ms, errors) in rates.items():
        lines.append(f"| `{route}` | {rate:.0f} | {rate / reference:.2f} | {first_ms:.1f} ms | {errors} |")
        if route.startswith(("/entity/", "/vocab/")) and rate / reference < THROUGHPUT_RATIO:
            failures.append(
                f"{route}: {rate:.0f} req/s, {rate / reference:.2f} of the style sheet's < {THROUGHPUT_RATIO}"
            )
        if errors:
            failures.append(f"{route}: {errors} requests failed under load")
    seconds, results = mixed
    latencies = [elapsed * 1000 for _, _, elapsed in results]
    errors = sum(1 for _, status, _ in results if status not in (200, 303))
    p50, p95, p99 = (percentile(latencies, share) for share in (0.50, 0.95, 0.99))
    lines += [
        "",
        f"| mixed load, {len(results)} requests at concurrency {mixed_concurrency} "
        "| p50 | p95 | p99 | max | req/s | errors |",
        "|---|---|---|---|---|---|---|",
        f"| all routes | {p50:.0f} ms | {p95:.0f} ms | {p99:.0f} ms | {max(latencies):.0f} ms "
        f"| {len(results) / seconds:.0f} | {errors} |",
    ]
    if p99 > MIXED_P99_MS:
        failures.append(f"mixed load: 99th percentile {p99:.0f} ms > {MIXED_P99_MS:.0f} ms")
    if errors:
        failures.append(f"mixed load: {errors} requests failed")
    return lines, failures


def report(
    timings: dict[str, list[float]], renders: dict[str, list[float]] | None
) -> tuple[list[str], list[str]]:
    """The Markdown tables, and one line per missed target."""
    reference = statistics.median(timings[REFERENCE])
    lines = [
        "| route | median | p95 | ratio to the style sheet |",
        "|---|---|---|---|",
    ]
    failures = []
    for route, times in timings.items():
        median = statistics.median(times)
        lines.append(f"| `{route}` | {median:.1f} ms | {p95(times):.1f} ms | {median / reference:.1f}x |")
        if p95(times) > PAGE_TARGET_MS:
            failures.append(f"{route}: 95th percentile {p95(times):.0f} ms > {PAGE_TARGET_MS:.0f} ms")
    if renders is not None:
        lines += ["", "| page in Chromium | median load | slowest |", "|---|---|---|"]
        for path, times in renders.items():
            lines.append(f"| `{path}` | {statistics.median(times):.0f} ms | {max(times):.0f} ms |")
            if max(times) > PAGE_TARGET_MS:
                failures.append(f"{path}: rendered in {max(times):.0f} ms > {PAGE_TARGET_MS:.0f} ms")
    return lines, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="requests per route, one at a time (30)")
    parser.add_argument("--requests", type=int, default=1000, help="requests per route and round (1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the routes under load (3)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections per route under load (50)")
    parser.add_argument("--mixed", type=int, default=3000, help="requests of the mixed load (3000)")
    parser.add_argument("--mixed-concurrency", type=int, default=100, help="its connections (100)")
    parser.add_argument(
        "--store", metavar="DIR", help="serve this store (omskg serve --store) instead of building"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omskg-bench-serve-") as scratch:
        process, base = start_server(Path(scratch), args.store)
        try:
            rates = throughput(base, args.requests, args.concurrency, args.rounds)  # first requests: cold
            mixed = load(base, mixed_jobs(base, args.mixed), args.mixed_concurrency)
            timings = time_routes(base, args.repeat)
            renders = time_renders(base, max(3, args.repeat // 5))
        finally:
            process.terminate()
            process.wait(10)
    lines, failures = report(timings, renders)
    load_lines, load_failures = report_load(rates, mixed, args.concurrency, args.mixed_concurrency)
    lines += ["", *load_lines]
    failures += load_failures
    print("\n".join(lines))
    for failure in failures:
        print(f"target missed: {failure}", file=sys.stderr)
    if renders is None:
        print("Chromium not found: render times not measured", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
