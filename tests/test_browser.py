"""The site as a person uses it: headless Chromium (Debian's ``chromium``, which ``make test``
installs) driven by Playwright. Search "clonazepam", follow it to OMS, read the evidence.

The screenshots are kept in ``test-output/browser/`` (git-ignored) for a person to look at;
``make screenshots`` takes those of the pages into ``docs/images/`` (OMSKG_SCREENSHOTS names
the folder), where docs/serving.md shows them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import find_sources
from engines import RunningStore

pytestmark = pytest.mark.slow  # make test-fast leaves it out (see pyproject.toml)

# The sections each page shows, in order (tests/test_page_sections.py checks the counts).
SECTIONS = {
    "oms": [
        "Summary", "Who it affects", "Symptoms and signs", "Causes and triggers", "Diagnosis", "Care team",
        "Treatment", "Course", "Prognosis and relapse", "Kinds of it", "Described and researched by",
    ],
    "clonazepam": ["Summary", "Treats", "Adverse effects", "Named in statements about other things"],
    "myoclonus": [
        "Summary", "Symptoms and signs", "Causes and triggers", "Diagnosis", "Treatment", "Course",
        "A sign or symptom of", "Used in diagnosing", "Kinds of it", "Described and researched by",
        "Named in statements about other things",
    ],
}  # fmt: skip
CODE_ONLY = re.compile(r"^[A-Za-z][\w.-]*:[\w.-]+$")  # a value shown as a bare CURIE
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


@pytest.fixture(scope="module")
def page_pictures(root: Path, screenshots: Path) -> Path:
    """Where the pictures of the pages go: docs/images with ``make screenshots``."""
    wanted = os.environ.get("OMSKG_SCREENSHOTS")
    return root / wanted if wanted else screenshots


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

    page.locator(f"#treats {STATEMENT} .subject a").click()
    expect(page).to_have_url(f"{base}/entity/oms.html")
    expect(page.locator("h1")).to_have_text("opsoclonus-myoclonus syndrome")

    statement = page.locator(f"#treatment {STATEMENT}")
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


@pytest.mark.parametrize("entity", list(SECTIONS))
def test_pages_read_in_a_readers_order_with_words_for_codes(
    page: Page, served: RunningStore, page_pictures: Path, entity: str
) -> None:
    """The sections in order, listed in the contents with their counts; long sections folded
    after ten statements; every value a label (a code only beside it); the legend's colour
    for each node drawn. The picture of the page's top goes to the docs."""
    base = served.query_url.removesuffix("/sparql")
    page.goto(f"{base}/entity/{entity}.html")
    headings = page.locator("section.statements > h2")
    expect(headings).to_have_count(len(SECTIONS[entity]))
    shown = [re.sub(r"\s+\d+$", "", text) for text in headings.all_inner_texts()]
    assert shown == SECTIONS[entity]
    contents = page.locator("nav.toc li")
    assert [re.sub(r"\s+\d+$", "", t) for t in contents.all_inner_texts()] == SECTIONS[entity]
    for section in page.locator("section.statements").all():
        count = int(section.locator("h2 .count").inner_text())
        cards = section.locator("li.statement")
        expect(cards).to_have_count(count)
        assert sum(card.is_visible() for card in cards.all()) == min(count, 10)
    values = page.locator("dl.qualifiers dd, .triple .object").all_inner_texts()
    assert values and [v for v in values if CODE_ONLY.match(v.strip())] == []
    if entity == "oms":
        expect(page.locator("dl.qualifiers dd", has_text="obligate (HP:0040280)").first).to_be_attached()
    drawn = page.eval_on_selector_all(
        "svg.graph-view circle[r='8']",
        "nodes => nodes.map(n => [n.getAttribute('fill'), n.querySelector('title').textContent])",
    )
    legend = page.eval_on_selector_all(
        "figure.graph-view figcaption .swatch",
        "swatches => swatches.map(s => [s.style.background, s.nextSibling.textContent.trim()])",
    )
    kinds = {re.search(r"\(([^;()]+); ", title).group(1): colour for colour, title in drawn}  # type: ignore[union-attr]
    assert drawn and {kind: _rgb(colour) for kind, colour in kinds.items()} == dict(
        (kind, colour) for colour, kind in legend
    )
    # The pictures are committed: the documents' passages stay out of them (users do not have
    # the documents, and the repository keeps none of their text).
    page.add_style_tag(content="blockquote.passage { display: none; }")
    page.screenshot(path=str(page_pictures / f"page-{entity}.png"))


def _rgb(hex_colour: str) -> str:
    """``#1f77b4`` as the browser reports a style's colour: ``rgb(31, 119, 180)``."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"
