"""`jixiao review`: the report over real documents, looked at in a real headless Chromium (Debian's, driven by
selenium through the system chromedriver), from disk, with every request the browser makes recorded."""
from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import MADE_SCAN, ProvenanceRun

from jixiao.pipeline.cli import main
from jixiao.review import write_review

# A PDF with a flagged indicator, a scan of the corpus, a workbook, and a text export with project flags.
REVIEWED = {"a_pdf_04.pdf", "a_scan_05.pdf", "a_xlsx_01.xlsx", "003_a583d9a954743c2a.txt", "a_docx_01.docx",
            MADE_SCAN}
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def review(provenance_run: ProvenanceRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    html = tmp_path_factory.mktemp("review") / "report"
    summary = write_review(provenance_run.out, html, only=REVIEWED, workers=2)
    assert summary.files == len(REVIEWED) and summary.pages >= 5
    return html


def _page_of(html: Path, name: str) -> Path:
    index = (html / "index.html").read_text(encoding="utf-8")
    key = re.search(rf'href="files/([0-9a-f]+)/index.html">{re.escape(name)}<', index).group(1)
    return html / "files" / key / "index.html"


def test_pages_crops_and_marks(review: Path, provenance_run: ProvenanceRun) -> None:
    """Every value read from a cell is shown beside its crop (PDF, scan) or its marked cell (Office, text)."""
    cells = pd.read_parquet(provenance_run.out / "cells").merge(
        pd.read_parquet(provenance_run.out / "projects")[["project_id", "source_path"]], on="project_id")
    for name in ("a_pdf_04.pdf", "a_scan_05.pdf"):
        page = _page_of(review, name)
        text = page.read_text(encoding="utf-8")
        boxes = cells[cells.source_path == name][["page", "x0", "top", "x1", "bottom"]].drop_duplicates()
        crops = set(re.findall(r'<img class="crop \w+" src="(c\d+\.jpg)"', text))
        assert len(crops) == len(boxes) and all((page.parent / c).stat().st_size > 300 for c in crops)
        thumbs = set(re.findall(r'src="(p\d+\.jpg)"', text))
        assert thumbs == {f"p{int(p)}.jpg" for p in boxes.page.unique()}
    sheet = _page_of(review, "a_xlsx_01.xlsx").read_text(encoding="utf-8")
    anchors = re.findall(r'<a href="#(g\d+-\d+-\d+)">sheet ', sheet)
    assert len(anchors) == (cells.source_path == "a_xlsx_01.xlsx").sum()
    assert all(f'id="{a}"' in sheet for a in set(anchors))
    text = _page_of(review, "003_a583d9a954743c2a.txt").read_text(encoding="utf-8")
    assert 'class="rule">scores_sum_mismatch</span>' in text and "total_score printed" in text
    assert re.search(r'<div class="v flag">⚑ [\d.]+</div>', text) and "feeds scores_sum_mismatch" in text


def test_changed_and_missing_sources_are_said_and_never_shown(corpus: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in ("a_xlsx_02.xlsx", "a_html_02.html"):
        shutil.copy(corpus / name.split("_")[1] / name, inbox / name)
    out, html = tmp_path / "out", tmp_path / "report"
    assert main(["run", str(inbox), "--out", str(out), "--quiet"]) == 0
    kept = tmp_path / "kept"
    shutil.copytree(inbox, kept)
    with (inbox / "a_xlsx_02.xlsx").open("ab") as changed:
        changed.write(b"\0")
    (inbox / "a_html_02.html").unlink()
    assert main(["review", "--out", str(out), "--html", str(html), "--no-progress"]) == 0
    sheet, page = (_page_of(html, n).read_text(encoding="utf-8") for n in ("a_xlsx_02.xlsx", "a_html_02.html"))
    assert "Source CHANGED since it was read" in sheet and 'class="grid"' not in sheet
    assert "Source MISSING" in page and 'class="grid"' not in page
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "changed since read" in index and ">missing<" in index
    # Found again under --source, as the very content read; --files picks the files.
    assert main(["review", "--out", str(out), "--html", str(html), "--source", str(kept), "--files", "*.html"]) == 0
    assert 'class="grid"' in _page_of(html, "a_html_02.html").read_text(encoding="utf-8")
    assert "a_xlsx_02.xlsx" not in (html / "index.html").read_text(encoding="utf-8")
    # A folder that holds something else is never overwritten.
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    assert main(["review", "--out", str(out), "--html", str(tmp_path / "other")]) == 2
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_run_writes_the_review_of_the_files_it_read(shared: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(shared / "seeds" / "003_a583d9a954743c2a.txt", inbox)
    out, html = tmp_path / "out", tmp_path / "report"
    assert main(["run", str(inbox), "--out", str(out), "--review", str(html), "--quiet"]) == 0
    assert "003_a583d9a954743c2a.txt" in (html / "index.html").read_text(encoding="utf-8")
    shutil.copy(shared / "seeds" / "004_ad2826ca3708fa31.txt", inbox)
    assert main(["run", str(inbox), "--out", str(out), "--review", str(html), "--quiet", "--no-progress"]) == 0
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "004_ad2826ca3708fa31.txt" in index and "003_a583d9a954743c2a.txt" not in index  # unchanged: not read


# --- in a real browser ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _requests(driver: object) -> list[str]:
    """The URL of every request the browser sent since the last call (DevTools network events)."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _loaded_images(driver: object) -> list[tuple[str, int]]:
    return driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete ? i.naturalWidth : 0]);")


def test_the_report_in_a_browser(browser: object, review: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    shots = tmp_path_factory.mktemp("screenshots")
    driver.get("about:blank")  # type: ignore[attr-defined]
    _requests(driver)  # what the browser's own start page loaded (chrome:// resources)
    driver.get((review / "index.html").as_uri())  # type: ignore[attr-defined]
    rows = driver.find_elements(By.CSS_SELECTOR, "#files tbody tr")  # type: ignore[attr-defined]
    assert len(rows) == len(REVIEWED)
    # Files needing attention first: the flagged text export and the PDF come before the clean workbook.
    names = [r.find_element(By.CSS_SELECTOR, "td a").text for r in rows]
    assert names.index("003_a583d9a954743c2a.txt") < names.index("a_xlsx_01.xlsx")
    driver.save_screenshot(str(shots / "index.png"))  # type: ignore[attr-defined]

    box = driver.find_element(By.ID, "filter")  # type: ignore[attr-defined]
    box.send_keys("scan")
    visible = [r for r in rows if r.is_displayed()]
    assert {r.find_element(By.CSS_SELECTOR, "td a").text for r in visible} == {"a_scan_05.pdf", MADE_SCAN}
    assert driver.find_element(By.ID, "count").text == f"2 of {len(REVIEWED)} files shown"  # type: ignore[attr-defined]
    box.clear()
    box.send_keys(" ")  # an input event with an empty filter shows every file again
    driver.find_element(By.ID, "attention").click()  # type: ignore[attr-defined]
    flagged = {r.find_element(By.CSS_SELECTOR, "td a").text for r in rows if r.is_displayed()}
    assert "003_a583d9a954743c2a.txt" in flagged and "a_xlsx_01.xlsx" not in flagged
    driver.find_element(By.ID, "attention").click()  # type: ignore[attr-defined]
    header = driver.find_element(By.XPATH, "//th[text()='forms']")  # type: ignore[attr-defined]
    header.click()
    forms = [int(r.find_elements(By.TAG_NAME, "td")[3].text)
             for r in driver.find_elements(By.CSS_SELECTOR, "#files tbody tr")]  # type: ignore[attr-defined]
    assert forms == sorted(forms) and header.get_attribute("aria-sort") == "ascending"

    for name, shot in (("a_pdf_04.pdf", "pdf"), ("a_scan_05.pdf", "scan"), ("a_xlsx_01.xlsx", "xlsx")):
        driver.get(_page_of(review, name).as_uri())  # type: ignore[attr-defined]
        images = _loaded_images(driver)
        assert all(width > 0 for _, width in images), [src for src, width in images if width == 0]
        if shot != "xlsx":
            assert len(images) > 50
        else:
            assert driver.find_elements(By.CSS_SELECTOR, "table.grid td.mark")  # type: ignore[attr-defined]
        driver.save_screenshot(str(shots / f"{shot}.png"))  # type: ignore[attr-defined]

    # A value feeding a flag is marked in colour and in words.
    driver.get(_page_of(review, "a_pdf_04.pdf").as_uri())  # type: ignore[attr-defined]
    flagged_value = driver.find_element(By.CSS_SELECTOR, ".v.flag")  # type: ignore[attr-defined]
    assert flagged_value.text.startswith("⚑")
    assert flagged_value.value_of_css_property("color") == "rgba(176, 16, 26, 1)"
    cell = flagged_value.find_element(By.XPATH, "..")
    assert "feeds missing_deviation_note" in cell.text
    assert cell.find_element(By.CSS_SELECTOR, "img.crop.flag").value_of_css_property(
        "border-top-color") == "rgba(210, 30, 40, 1)"
    flagged_value.location_once_scrolled_into_view  # noqa: B018 - scrolls it into the screenshot
    driver.save_screenshot(str(shots / "flagged.png"))  # type: ignore[attr-defined]

    requests = _requests(driver)
    assert len(requests) > 50  # every page, stylesheet, script and image was seen...
    assert all(url.startswith("file://") for url in requests), [u for u in requests if not u.startswith("file://")]
    print(f"screenshots: {shots}")
