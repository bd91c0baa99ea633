"""A real browser against a real server: `streamlit run` on 127.0.0.1, headless Chromium through selenium. An expert
signs in with a personal link and casts 5 blind votes (3 by click, 2 by keyboard shortcut); every vote is in the store
before the next item shows and no model name is in the page before its vote. Saves the README's screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import free_port, wait_http
from workbench.store import schema

REPO = Path(__file__).resolve().parents[2]
# README screenshots are refreshed with `WORKBENCH_SCREENSHOTS=docs/screenshots make test`; otherwise a temp dir,
# so a test run never changes tracked files.
SHOTS = Path(os.environ.get("WORKBENCH_SCREENSHOTS") or tempfile.mkdtemp(prefix="wb-shots-"))
CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from fixtures.seed_store import seed_store

    from workbench.store import open_store

    tmp_path = tmp_path_factory.mktemp("browser")
    store = open_store(tmp_path / "store.db")
    out = seed_store(store, n_items=8, n_raters=3, k=2, votes_per_rater={"expert1": 0}, out_dir=tmp_path / "audit")
    port = free_port()
    env = {**os.environ, "WORKBENCH_STORE": store.url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "apps" / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--client.toolbarMode",
            "viewer",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout=90)
        yield f"http://127.0.0.1:{port}", store, out
    finally:
        proc.terminate()
        proc.wait(10)
        store.dispose()


def _browser(lang: str = "en-US"):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.fail("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1100",
        f"--lang={lang}",
    ):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"intl.accept_languages": lang})
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


def _wait_text(driver, text: str, timeout: float = 90.0) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        EC.presence_of_element_located((By.XPATH, f"//*[contains(normalize-space(.), {text!r})]"))
    )


def _settle(driver) -> None:
    """Wait until Streamlit has finished the script run (no 'running' indicator) and charts have drawn."""
    from selenium.webdriver.common.by import By

    deadline = time.time() + 30
    time.sleep(0.5)
    busy = "[data-testid='stStatusWidget'], [data-testid='stSkeleton'], [data-stale='true']"
    while time.time() < deadline and driver.find_elements(By.CSS_SELECTOR, busy):
        time.sleep(0.2)
    time.sleep(1.0)


def _click(driver, label: str) -> None:
    """Click the button labelled `label`, waiting for it (a Streamlit rerun can replace it while we look)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    xpath = f"//button[.//*[normalize-space(text())={label!r}] or normalize-space(.)={label!r}]"
    for attempt in range(3):
        try:
            WebDriverWait(driver, 60).until(EC.element_to_be_clickable((By.XPATH, xpath))).click()
            return
        except StaleElementReferenceException:
            if attempt == 2:
                raise


def _votes(store, rater: str) -> list[dict]:
    with store.engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(schema.ratings).where(schema.ratings.c.rater == rater).order_by(schema.ratings.c.id)
            ).mappings()
        ]


def test_expert_votes_blind_in_a_real_browser(server):
    from selenium.webdriver.common.action_chains import ActionChains

    url, store, out = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = _browser()
    try:
        driver.get(f"{url}/?token={out['tokens']['expert1']}")
        ways = ["click:A is better", "click:B is better", "click:Tie", "key:1", "key:4"]
        for n, way in enumerate(ways):
            _wait_text(driver, f"{n + 1} of 16")
            _settle(driver)
            page = driver.page_source
            for m in out["models"]:
                assert m not in page, f"vote {n + 1}: model name {m} in the page before the vote"
            if n == 0:
                driver.save_screenshot(str(SHOTS / "rating.png"))
            kind, what = way.split(":")
            if kind == "click":
                _click(driver, what)
            else:
                ActionChains(driver).send_keys(what).perform()
            _wait_text(driver, "Saved.")
            _wait_text(driver, "A was")
            assert len(_votes(store, "expert1")) == n + 1  # stored before the next item can show
            if n == 0:
                _settle(driver)
                driver.save_screenshot(str(SHOTS / "rating_revealed.png"))
            assert any(m in driver.page_source for m in out["models"])  # revealed after the vote
            if n % 2:
                ActionChains(driver).send_keys("\ue007").perform()  # Enter = next item
            else:
                _click(driver, "Next item")
        _wait_text(driver, "6 of 16")
    finally:
        driver.quit()
    votes = _votes(store, "expert1")
    assert [v["verdict"] in ("A", "B") for v in votes] == [True, True, False, True, False]
    assert [v["verdict"] for v in votes][2] == "tie" and votes[4]["verdict"] == "bothbad"
    for v, side in zip(votes, ["left", "right", None, "left", None]):
        if side:  # the stored verdict names the model that was on the clicked side
            left_is_a = v["order_shown"] == "AB"
            assert v["verdict"] == ("A" if (side == "left") == left_is_a else "B")
    with store.engine.connect() as conn:
        done = conn.execute(
            sa.select(sa.func.count()).where(
                schema.assignments.c.rater_id == "expert1", schema.assignments.c.done.is_(True)
            )
        ).scalar()
    assert done == 5


def test_admin_pages_screenshots(server):
    url, store, out = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "audit": "Dataset audit",
        "suites": "Suites",
        "leaderboard": "Leaderboard",
        "agreement": "Judge agreement",
        "finetune": "Fine-tune runs",
        "admin": "Sessions & raters",
    }
    driver = _browser()
    try:
        driver.set_window_size(1400, 1500)
        # the first visit goes to the root, as an invite link does: Streamlit learns the st.navigation pages there
        driver.get(f"{url}/?token={out['admin_token']}")
        _wait_text(driver, "Dataset audit")
        _settle(driver)
        for path, title in pages.items():
            # the admin's default page (audit) lives at the root URL
            driver.set_window_size(1400, 2600 if path in ("audit", "agreement") else 1500)
            driver.get(f"{url}/{'' if path == 'audit' else path}?token={out['admin_token']}")
            _wait_text(driver, title)
            _settle(driver)
            src = driver.page_source
            assert "Traceback" not in src and "stException" not in src and "Page not found" not in src, path
            driver.save_screenshot(str(SHOTS / f"{path}.png"))
    finally:
        driver.quit()
    ko = _browser("ko-KR")
    try:
        ko.set_window_size(1400, 1100)
        ko.get(f"{url}/leaderboard?token={out['admin_token']}")
        _wait_text(ko, "리더보드")  # default language from the browser's Accept-Language
        _settle(ko)
        ko.save_screenshot(str(SHOTS / "leaderboard_ko.png"))
        # the agreement package's readings, said in Korean from the catalogue (not its English)
        ko.set_window_size(1400, 2600)
        ko.get(f"{url}/agreement?token={out['admin_token']}")
        _wait_text(ko, "심사 모델은 전문가")
        _settle(ko)
        src = ko.page_source
        assert "크리펜도르프 알파" in src and "agrees with experts" not in src and "Landis & Koch)" not in src
        ko.save_screenshot(str(SHOTS / "agreement_ko.png"))
    finally:
        ko.quit()
    for name in list(pages) + ["leaderboard_ko", "agreement_ko"]:
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
