"""A real browser against a real server: `streamlit run` on 127.0.0.1, headless Chromium through selenium. An expert
signs in with a personal link and casts 5 blind votes (3 by click, 2 by keyboard shortcut); every vote is in the store
before the next item shows and no model name is in the page before its vote. Saves the README's screenshots."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.apps.conftest import serve_app
from workbench.store import schema

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
    with serve_app(store, out) as served:
        yield served


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
            el = WebDriverWait(driver, 60).until(EC.element_to_be_clickable((By.XPATH, xpath)))
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
            el.click()
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


def _set_config(store, session_id: str, **keys) -> None:
    """Set keys of a session's stored config (its reveal policy, rubric, example) as the admin page would."""
    s = schema.rating_sessions
    with store.begin() as conn:
        cfg = dict(conn.execute(sa.select(s.c.config).where(s.c.id == session_id)).scalar() or {})
        conn.execute(s.update().where(s.c.id == session_id).values(config={**cfg, **keys}))


def _own_session(store, name: str, rater: str, items: list[dict], **config) -> tuple[str, str]:
    """A session of its own for one new rater (pairwise over two models); returns (session id, their link token)."""
    from evalkit import people, sessions

    _, token = people.create_user(store, name, user_id=rater)
    sid = sessions.create_session(store, f"{name}'s session", items, models=["model-left", "model-right"], k=1)
    sessions.assign(store, sid, [rater], seed=1)
    _set_config(store, sid, **config)
    return sid, token


def _items(n: int) -> list[dict]:
    """n questions, each with two different answers."""
    return [
        dict(
            item_id=f"q{i}",
            prompt=f"Question {i}: how many legs has a spider?",
            outputs={"model-left": f"Eight legs ({i}).", "model-right": f"A spider has eight legs ({i})."},
        )
        for i in range(n)
    ]


def _question(driver) -> str:
    from selenium.webdriver.common.by import By

    shown = driver.find_elements(By.CSS_SELECTOR, ".wb-answer")
    return shown[0].text if shown else ""


def test_expert_votes_blind_in_a_real_browser(server):
    """Vote and advance in one step (3 clicks, 2 keys); under "each" the names of the comparison just rated show above
    the next one, never those of the one on screen; the guidelines sit beside the pair."""
    from selenium.webdriver.common.action_chains import ActionChains

    url, store, out = server
    _set_config(store, out["session_id"], reveal="each", rubric="Prefer the answer that names the class it explains.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    total = len([r for r in _assignments(store, "expert1")])
    driver = _browser()
    try:
        driver.get(f"{url}/?token={out['tokens']['expert1']}")
        ways = ["click:A is better", "click:B is better", "click:Tie", "key:1", "key:4"]
        for n, way in enumerate(ways):
            _wait_text(driver, f"{n + 1} of {total}")
            _settle(driver)
            page = driver.page_source
            assert "Prefer the answer that names the class it explains." in page  # the rubric beside the pair
            if n:  # the names of the comparison just rated are said; nothing else on the page names a model
                assert "In the comparison you just rated" in page
            task = driver.execute_script(TASK_TEXT)
            for m in out["models"]:
                assert m not in task, f"vote {n + 1}: model name {m} beside the comparison being rated"
            if n == 0:
                for m in out["models"]:
                    assert m not in page, f"model name {m} in the page before any vote"
                driver.save_screenshot(str(SHOTS / "rating.png"))
            kind, what = way.split(":")
            if kind == "click":
                _click(driver, what)
            else:
                ActionChains(driver).send_keys(what).perform()
            _wait_text(driver, f"{n + 2} of {total}")  # one step: stored and on to the next
            assert len(_votes(store, "expert1")) == n + 1
            if n == 0:
                _settle(driver)
                driver.save_screenshot(str(SHOTS / "rating_revealed.png"))
    finally:
        driver.quit()
    votes = _votes(store, "expert1")
    assert [v["verdict"] in ("A", "B") for v in votes] == [True, True, False, True, False]
    assert [v["verdict"] for v in votes][2] == "tie" and votes[4]["verdict"] == "bothbad"
    for v, side in zip(votes, ["left", "right", None, "left", None]):
        if side:  # the stored verdict names the model that was on the clicked side
            left_is_a = v["order_shown"] == "AB"
            assert v["verdict"] == ("A" if (side == "left") == left_is_a else "B")
    assert sum(a["done"] for a in _assignments(store, "expert1")) == 5


KO_TITLES = {
    "audit": "au.title",
    "suites": "su.title",
    "leaderboard": "lb.title",
    "agreement": "ag.title",
    "finetune": "ft.title",
    "admin": "ad.title",
    "raters": "rt.title",
}


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
        "raters": "Raters: whom to believe",
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
            driver.set_window_size(1400, 2600 if path in ("audit", "agreement", "raters") else 1500)
            there = f"&session={out['session_id']}" if path == "agreement" else ""
            driver.get(f"{url}/{'' if path == 'audit' else path}?token={out['admin_token']}{there}")
            _wait_text(driver, title)
            _settle(driver)
            src = driver.page_source
            assert "Traceback" not in src and "stException" not in src and "Page not found" not in src, path
            driver.save_screenshot(str(SHOTS / f"{path}.png"))
    finally:
        driver.quit()
    from apps import i18n

    ko = _browser("ko-KR")
    try:
        for path, key in KO_TITLES.items():
            ko.set_window_size(1400, 2600 if path in ("audit", "agreement", "raters") else 1500)
            # the seeded session (the tests above add newer ones without a judge)
            there = f"&session={out['session_id']}" if path == "agreement" else ""
            ko.get(f"{url}/{'' if path == 'audit' else path}?token={out['admin_token']}{there}")
            _wait_text(ko, i18n.t(key, "ko"))  # default language from the browser's Accept-Language
            if path == "agreement":  # the agreement package's readings, said in Korean from the catalogue
                _wait_text(ko, "심사 모델은 전문가")
            _settle(ko)
            src = ko.page_source
            assert "Traceback" not in src and "stException" not in src, path
            if path == "agreement":
                assert "크리펜도르프 알파" in src and "agrees with experts" not in src and "Landis & Koch)" not in src
            ko.save_screenshot(str(SHOTS / f"{path}_ko.png"))
    finally:
        ko.quit()
    for name in list(pages) + [f"{p}_ko" for p in KO_TITLES]:
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000


def _assignments(store, rater: str) -> list[dict]:
    a = schema.assignments
    with store.engine.connect() as conn:
        q = sa.select(a).where(a.c.rater_id == rater).order_by(a.c.session_id, a.c.position)
        return [dict(r) for r in conn.execute(q).mappings()]


# The main area's text without its alerts (where the previous comparison's names may be said).
TASK_TEXT = """
const main = document.querySelector('[data-testid="stMain"]') || document.body;
let text = main.innerText;
main.querySelectorAll('[data-testid="stAlert"]').forEach((e) => { text = text.split(e.innerText).join(""); });
return text;
"""


def _open(driver, summary: str) -> None:
    """Switch on the toggle labelled `summary`."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    xpath = f"//label[.//*[normalize-space(text())={summary!r}]]"
    WebDriverWait(driver, 60).until(EC.element_to_be_clickable((By.XPATH, xpath))).click()


FENCE = "Run this:\n```python\nfor i in range(3):\n    print(i)\nThe loop prints 0, 1 and 2, then stops."
LONG = "Use the path " + "/very/long/segment" * 40 + " and nothing else."


def _check_answers_are_text(driver) -> None:
    """The unclosed fence is shown as text with the rest of its answer; the long line wraps; differences marked."""
    from selenium.webdriver.common.by import By

    answers = [a for a in driver.find_elements(By.CSS_SELECTOR, ".wb-answer") if a.is_displayed()]
    fence = next(a for a in answers if "```python" in a.text)
    assert "The loop prints 0, 1 and 2, then stops." in fence.text  # not swallowed by the fence
    assert not driver.find_elements(By.XPATH, "//pre[contains(., 'The loop prints')]")
    long = next(a for a in answers if "/very/long/segment" in a.text)
    assert driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", long)
    assert driver.find_elements(By.CSS_SELECTOR, ".wb-answer mark")  # the differing spans are marked


def test_rater_screen_text_reveal_at_the_end_and_review(server):
    """Answers are wrapped text (an unclosed fence shows as text, the rest stays visible; a long line wraps); with
    reveal "end" no model name shows until the queue is done, then a summary keeps the question and answers; an
    earlier vote can be changed before that, its old verdict kept."""
    url, store, out = server
    items = [
        dict(item_id="fence", prompt="How do I print 0 to 2?", outputs={"model-left": FENCE, "model-right": LONG}),
        dict(item_id="plain", prompt="Say hello.", outputs={"model-left": "Hello!", "model-right": "Hello there!"}),
    ]
    sid, token = _own_session(store, "Reviewer", "reviewer", items, reveal="end", example="A is better: it answers.")
    driver = _browser()
    try:
        driver.get(f"{url}/?token={token}")
        _wait_text(driver, "1 of 2")
        _settle(driver)
        from selenium.webdriver.common.by import By

        assert "A is better: it answers." in driver.page_source  # the session's example beside the task
        checked = False
        for n in range(2):
            page = driver.page_source
            assert "model-left" not in page and "model-right" not in page, n
            if "How do I print 0 to 2?" in driver.execute_script(TASK_TEXT):
                _check_answers_are_text(driver)
                checked = True
            if n == 1:  # review and change the first vote (blind) before the end
                _open(driver, "Your earlier votes (1)")
                _settle(driver)
                driver.find_element(
                    By.XPATH, "//*[@data-testid='stRadio']//label[.//*[normalize-space(text())='B is better']]"
                ).click()
                _settle(driver)
                _click(driver, "Save change")
                _wait_text(driver, "Changed. The earlier vote stays in the audit trail.")
                _settle(driver)
                driver.save_screenshot(str(SHOTS / "rating_review.png"))
            _click(driver, "Tie" if n == 0 else "A is better")
            _wait_text(driver, "2 of 2" if n == 0 else "You have rated all 2 comparisons")
            _settle(driver)
        assert checked
        page = driver.page_source
        assert "model-left" not in page and "model-right" not in page  # not until the rater asks
        _click(driver, "Show the model names")
        _wait_text(driver, "Your votes and the models behind them")
        _settle(driver)
        page = driver.page_source
        assert "model-left" in page and "model-right" in page
        assert "How do I print 0 to 2?" in page and "Hello there!" in page  # the question and the answers stay
        driver.save_screenshot(str(SHOTS / "rating_summary.png"))
    finally:
        driver.quit()
    from evalkit import votes

    assert votes.is_final(store, sid, "reviewer")
    first = votes.my_votes(store, sid, "reviewer")[0]
    assert first["choice"] == "right" and first["changes"] == 1  # the change, the tie kept in its history
    with pytest.raises(votes.Closed):
        votes.change(store, sid, "reviewer", "fence/p0", "left")


def test_keys_stay_out_of_the_reason_box_and_come_back_after_widgets(server):
    """A number typed in the reason box is text, not a vote; Esc leaves the box and the key votes; after switching
    the language the keys work without a click; skipping needs a reason and stores it."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    url, store, out = server
    _, token = _own_session(store, "Typist", "typist", _items(5), reveal="never")
    driver = _browser()
    try:
        driver.get(f"{url}/?token={token}")
        _wait_text(driver, "1 of ")
        _settle(driver)
        box = driver.find_element(By.CSS_SELECTOR, "textarea")
        box.click()
        box.send_keys("B skips the second step 1")
        ActionChains(driver).send_keys("1").perform()
        time.sleep(1.5)
        assert _votes(store, "typist") == []  # typing in the box never votes
        ActionChains(driver).send_keys("\ue00c").perform()  # Esc leaves the box
        _settle(driver)
        ActionChains(driver).send_keys("2").perform()
        _wait_text(driver, "2 of ")
        got = _votes(store, "typist")
        assert len(got) == 1 and got[0]["rationale"] == "B skips the second step 11"
        _settle(driver)
        # the language switch (a radio in the sidebar) hands focus back to the page
        driver.find_element(By.XPATH, "//label[.//*[normalize-space(text())='한국어']]").click()
        _wait_text(driver, "평가 세션")
        _settle(driver)
        ActionChains(driver).send_keys("3").perform()
        _wait_text(driver, "3번째")
        assert [v["verdict"] for v in _votes(store, "typist")][1] == "tie"
        _settle(driver)
        driver.save_screenshot(str(SHOTS / "rating_ko.png"))
        # unsure / skip: refused without a reason, stored with one
        ActionChains(driver).send_keys("x").perform()
        _wait_text(driver, "이유 입력란에")
        assert len(_votes(store, "typist")) == 2
        box = driver.find_element(By.CSS_SELECTOR, "textarea")
        box.click()
        box.send_keys("모르는 용어입니다")
        ActionChains(driver).send_keys("\ue00c").perform()
        _settle(driver)
        ActionChains(driver).send_keys("x").perform()
        _wait_text(driver, "4번째")
    finally:
        driver.quit()
    last = _votes(store, "typist")[-1]
    assert last["verdict"] == "skip" and last["rationale"] == "모르는 용어입니다"


def test_double_vote_warning_is_on_the_item_it_concerns(server):
    """Two tabs on the same comparison: the second vote is refused with the warning beside that comparison's
    question, not the next one's; one vote is stored."""
    url, store, out = server
    _, token = _own_session(store, "Two Tabs", "twotabs", _items(3), reveal="each")
    driver = _browser()
    try:
        link = f"{url}/?token={token}"
        driver.get(link)
        _wait_text(driver, "1 of ")
        _settle(driver)
        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(link)
        _wait_text(driver, "1 of ")
        _settle(driver)
        question = _question(driver)
        second = driver.current_window_handle
        driver.switch_to.window(first)
        _click(driver, "A is better")
        _wait_text(driver, "2 of ")
        driver.switch_to.window(second)
        _click(driver, "B is better")
        _wait_text(driver, "You had already rated this comparison")
        _settle(driver)
        assert _question(driver) == question  # the warning sits on the comparison it is about
        assert len(_votes(store, "twotabs")) == 1
        _click(driver, "Continue")
        _wait_text(driver, "2 of ")
    finally:
        driver.quit()


def test_korean_reload_keeps_the_language(server):
    """A rater who chose Korean gets Korean after a reload (the choice is remembered per person)."""
    from selenium.webdriver.common.by import By

    from evalkit import people

    if not hasattr(people, "set_language"):
        pytest.skip("per-person language is part A of issue 17 and has not landed")
    url, store, out = server
    driver = _browser()
    try:
        driver.get(f"{url}/?token={out['tokens']['expert3']}")
        _wait_text(driver, "Rating session")
        _settle(driver)
        driver.find_element(By.XPATH, "//label[.//*[normalize-space(text())='한국어']]").click()
        _wait_text(driver, "평가 세션")
        _settle(driver)
        driver.refresh()
        _wait_text(driver, "평가 세션")
    finally:
        driver.quit()
