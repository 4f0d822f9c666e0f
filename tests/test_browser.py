"""The site as a person uses it: headless Chromium (Debian's ``chromium``, which ``make test``
installs) driven by Playwright. Search "clonazepam", follow it to OMS, read the evidence.

The screenshots are kept in ``test-output/browser/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import find_sources
from engines import RunningStore

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

STATEMENT = "#st-eaac02fbe96cfc7b"  # OMS has treatment clonazepam
DASH = "\N{EN DASH}"
# Without the background-networking switches, Chromium keeps calling Google's hosts, which
# this machine's closed network refuses; the test must not depend on any outside host.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "Chromium not found on PATH; `make test` installs Debian's chromium (apt-get install chromium)"
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def screenshots(root: Path) -> Path:
    folder = root / "test-output" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_search_clonazepam_follow_to_oms_and_read_the_evidence(
    page: Page, served: RunningStore, root: Path, screenshots: Path
) -> None:
    base = served.query_url.removesuffix("/sparql")
    outside: list[str] = []
    page.on(
        "request", lambda request: outside.append(request.url) if not request.url.startswith(base) else None
    )

    page.goto(base + "/")
    page.fill("#home-search", "clonazepam")
    page.press("#home-search", "Enter")
    expect(page).to_have_url(f"{base}/search?q=clonazepam")
    page.locator("ol.hits a", has_text="clonazepam").first.click()
    expect(page).to_have_url(f"{base}/entity/clonazepam.html")
    expect(page.locator("h1")).to_have_text("clonazepam")

    page.locator(f"#mentioned {STATEMENT} .subject a").click()
    expect(page).to_have_url(f"{base}/entity/oms.html")
    expect(page.locator("h1")).to_have_text("opsoclonus-myoclonus syndrome")

    statement = page.locator(f"#statements {STATEMENT}")
    statement.scroll_into_view_if_needed()
    expect(statement.locator(".object")).to_have_text("clonazepam")
    evidence = statement.locator("ul.evidence > li")
    expect(evidence).to_have_count(2)
    expect(evidence.nth(0)).to_contain_text(f"characters 3603{DASH}3685")
    expect(evidence.nth(1)).to_contain_text(f"characters 3686{DASH}3759")
    expect(evidence.nth(0).locator(".source a")).to_have_text("Opsoclonus Myoclonus")
    if find_sources(root) is not None:  # the passage is shown only with the source documents at hand
        expect(evidence.nth(0).locator("blockquote.passage")).to_contain_text("clonzaepam")
    statement.screenshot(path=str(screenshots / "oms-clonazepam-evidence.png"))
    page.screenshot(path=str(screenshots / "oms-page.png"))
    assert outside == []


def test_query_box_runs_a_competency_question(page: Page, served: RunningStore, screenshots: Path) -> None:
    base = served.query_url.removesuffix("/sparql")
    page.goto(base + "/?example=05-first-choice-drug#query")
    page.locator("#query button[type=submit]").click()
    expect(page.locator("p.summary")).to_contain_text("1 row in")
    expect(page.locator("table.results a", has_text="omse:clonazepam")).to_be_visible()
    page.screenshot(path=str(screenshots / "query-results.png"))
