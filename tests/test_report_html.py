"""``bench report --html`` end to end: the page of a small demo store opened in headless Chromium (selenium).

Every table renders with rows, every image loads (naturalWidth > 0), the leaderboards sort and the claims filter
changes the rows shown. Skips without selenium, Chromium or chromedriver (``pip install 'hgbench[browser]'``;
Debian: ``apt-get install chromium chromium-driver``).

With ``HGBENCH_REPORT_PAGE=<out>/report.html`` the last test checks that page instead (a page
``bench report --html --out <out>`` wrote) and saves its screenshot beside it as ``report.png``: this is how
``results/report.png`` is made (README.md, Commands).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from hgbench.benchmarks.cli import main

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1440,2200")
PAGE = os.environ.get("HGBENCH_REPORT_PAGE")

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromedriver on PATH")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The page of a demo store: five methods on three synthetic datasets, two splits each."""
    out = tmp_path_factory.mktemp("report")
    assert main(["run", "--suite", "demo", "--seeds", "2", "--out", str(out)]) == 0
    assert main(["report", "--html", "--out", str(out)]) == 0
    return out / "report.html"


def _open(browser, page: Path) -> None:
    browser.get(page.resolve().as_uri())
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")


def check_page(browser, page: Path) -> None:
    """Every table shows rows, every image loads; no address outside the output folder."""
    text = page.read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), "the page must not reach the network"
    _open(browser, page)
    tables = browser.find_elements(By.TAG_NAME, "table")
    assert tables
    for table in tables:
        assert table.size["height"] > 0 and table.find_elements(By.CSS_SELECTOR, "tbody tr"), \
            table.get_attribute("outerHTML")[:200]
    images = browser.find_elements(By.TAG_NAME, "img")
    assert images
    for image in images:  # lazy images load once scrolled into view
        browser.execute_script("arguments[0].scrollIntoView()", image)
        WebDriverWait(browser, 10).until(lambda _: image.get_property("complete"))
        assert image.get_property("naturalWidth") > 0, image.get_attribute("src")


def test_every_table_and_image_renders(browser, page):
    check_page(browser, page)
    suites = browser.find_elements(By.CSS_SELECTOR, "section.suite")
    assert [s.get_attribute("id") for s in suites] == ["suite-demo"]
    images = {Path(i.get_attribute("src").removeprefix("file://")) for i in browser.find_elements(By.TAG_NAME, "img")}
    written = set(page.parent.glob("*/*.png"))  # every figure the report wrote is on the page
    assert images == written and {p.name for p in written} == {"scores.png", "critical_difference.png"}
    ranks = browser.find_elements(By.CSS_SELECTOR, "table.ranks tbody tr")
    assert len(ranks) == 5  # the demo's five methods, every one with a value on the three datasets


def test_leaderboard_sorts_on_a_click(browser, page):
    _open(browser, page)
    table = browser.find_element(By.CSS_SELECTOR, "table.leaderboard")
    header = table.find_elements(By.TAG_NAME, "th")[1]
    for direction in (1, -1):
        header.click()
        keys = [float(td.get_attribute("data-sort"))
                for td in table.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(2)")]
        assert keys == sorted(keys, reverse=direction < 0) and len(set(keys)) > 1


def test_claims_filter_changes_the_rows_shown(browser, page):
    _open(browser, page)
    rows = browser.find_elements(By.CSS_SELECTOR, "#claims tbody tr")
    shown = lambda: [r for r in rows if r.is_displayed()]  # noqa: E731
    assert len(shown()) == len(rows) > 0
    verdicts = {r.get_attribute("data-verdict") for r in rows}
    assert len(verdicts) > 1  # the demo store measures none of the papers' claims: pending and not testable
    verdict = sorted(verdicts)[0]
    Select(browser.find_element(By.ID, "filter-verdict")).select_by_value(verdict)
    assert 0 < len(shown()) < len(rows) and {r.get_attribute("data-verdict") for r in shown()} == {verdict}
    assert browser.find_element(By.ID, "claims-shown").text == f"{len(shown())} of {len(rows)} claims shown"
    paper = rows[0].get_attribute("data-paper")
    Select(browser.find_element(By.ID, "filter-paper")).select_by_value(paper)
    assert {(r.get_attribute("data-paper"), r.get_attribute("data-verdict")) for r in shown()} <= {(paper, verdict)}
    Select(browser.find_element(By.ID, "filter-verdict")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-paper")).select_by_value("")
    assert len(shown()) == len(rows)


@pytest.mark.skipif(not PAGE, reason="HGBENCH_REPORT_PAGE names a rendered page to check and photograph")
def test_a_rendered_page_renders_and_its_screenshot_is_saved(browser):
    page = Path(PAGE)
    check_page(browser, page)
    browser.get(page.resolve().as_uri())  # the top of the page, details closed, as a reader first sees it
    screenshot = page.with_suffix(".png")
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 0
