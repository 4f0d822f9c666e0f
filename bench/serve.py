"""Benchmark: how fast does ``omskg serve`` answer, and how fast does a page render?

Run ``make bench-serve`` (or ``python bench/serve.py``). It starts ``omskg serve`` on a
free port of 127.0.0.1 (with ``--sources $OMSKG_SOURCES`` when set, so pages carry the
cited passages), then:

1. asks each route ``--repeat`` times over one kept-alive connection and reports the
   median and 95th percentile, and the median as a ratio to the server's own static
   style sheet (the reference: the cheapest thing the same server sends);
2. opens each page in headless Chromium (when found) and reports the time from the
   start of navigation to the end of the ``load`` event, from the browser's own
   Navigation Timing entry.

Target (issue 5): every page renders in well under a second; checked as a 95th
percentile under :data:`PAGE_TARGET_MS` for the HTTP answer and a load event under the
same bound in the browser. The run exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PAGE_TARGET_MS = 500.0
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
PAGES = ["/", "/search?q=clonazepam", "/entity/oms.html", "/entity/clonazepam.html", "/docs/ontology.html"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sources = os.environ.get("OMSKG_SOURCES")
    command = [sys.executable, "-m", "omskg.cli", "serve", "--port", str(port)]
    command += ["--sources", sources] if sources else []
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
    parser.add_argument("--repeat", type=int, default=30, help="requests per route (30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omskg-bench-serve-") as scratch:
        process, base = start_server(Path(scratch))
        try:
            timings = time_routes(base, args.repeat)
            renders = time_renders(base, max(3, args.repeat // 5))
        finally:
            process.terminate()
            process.wait(10)
    lines, failures = report(timings, renders)
    print("\n".join(lines))
    for failure in failures:
        print(f"target missed: {failure}", file=sys.stderr)
    if renders is None:
        print("Chromium not found: render times not measured", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
