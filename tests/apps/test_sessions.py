"""The admin's side of a rating session, in a real browser (streamlit run + headless Chromium) and in AppTest: people
invited by name in any script get their own ids and appear by name, a person joins a second session from the
directory, a refused creation writes nothing, the reveal policy is stored, the admin stays signed in across a reload
and a bookmark, a new personal link needs a confirmation, the language is remembered per person, and the agreement
page opens on the newest session with ratings. Saves the admin page's screenshots (English and Korean)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from evalkit import people, sessions
from tests.apps.conftest import app_as, page_text, serve_app
from tests.apps.test_browser import SHOTS, _browser, _click, _settle, _wait_text
from workbench.store import schema

NEW_PEOPLE = "New people to invite (one name per line, any language)"


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    from fixtures.seed_store import seed_store

    from workbench.store import open_store

    tmp = tmp_path_factory.mktemp("admin")
    store = open_store(tmp / "store.db")
    out = seed_store(store, n_items=6, n_raters=3, k=2, out_dir=tmp / "audit")
    with serve_app(store, out) as served:
        yield served


def _field(driver, label: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"[aria-label={label!r}]")


def _type(driver, label: str, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = _field(driver, label)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    for i, line in enumerate(text.split("\n")):  # Enter in a text area is a new line
        if i:
            box.send_keys(Keys.ENTER)
        box.send_keys(line)


def _choose(driver, text: str) -> None:
    """Click a radio option or a menu entry by its visible text."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//label[.//*[normalize-space(text())={text!r}]]").click()


def _pick(driver, label: str, option: str) -> None:
    """Pick `option` in the multiselect labelled `label`: type it in the box and press Enter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(
        By.XPATH, f"//div[@data-testid='stMultiSelect'][.//*[normalize-space(text())={label!r}]]//input"
    )
    box.click()
    box.send_keys(option)
    _settle(driver)
    box.send_keys(Keys.ENTER)
    box.send_keys(Keys.ESCAPE)


def _people(store) -> dict[str, str]:
    return {p["name"]: p["id"] for p in people.directory(store)}


def _counts(store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return tuple(
            int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar())
            for t in (schema.raters, schema.rating_sessions, schema.assignments)
        )


def _assert_clean(driver, where: str) -> None:
    src = driver.page_source
    assert "Traceback" not in src and "stException" not in src, where
    assert 'type="password"' not in src, f"{where}: signed out (the sign-in form shows)"


@pytest.mark.slow
def test_admin_invites_people_in_any_script_and_stays_signed_in(admin_server, tmp_path):
    from selenium.webdriver.common.by import By

    url, store, out = admin_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = _browser()
    try:
        driver.set_window_size(1400, 2200)
        driver.get(f"{url}/?token={out['admin_token']}")
        _wait_text(driver, "Dataset audit")
        _settle(driver)
        assert driver.get_cookie("wb_sign_in"), "no sign-in cookie after opening the admin link"
        # a bookmark: the admin page's URL, no token in it
        driver.get(f"{url}/admin")
        _wait_text(driver, "New rating session")
        _settle(driver)
        _assert_clean(driver, "bookmark")
        _type(driver, "Name", "Korean experts")
        _type(driver, NEW_PEOPLE, "김민지\n이준호\nKim Minji")
        _choose(driver, "never")
        _click(driver, "Create and invite")
        _wait_text(driver, "Session created")
        _settle(driver)
        _assert_clean(driver, "created")
        ids = _people(store)
        assert {"김민지", "이준호", "Kim Minji"} <= set(ids) and len({ids[n] for n in ids}) == len(ids)
        sid = next(s["id"] for s in sessions.sessions(store) if s["name"] == "Korean experts")
        assert sessions.session_config(store, sid)["reveal"] == "never"
        assert {r["name"] for r in sessions.rater_progress(store, sid)} == {"김민지", "이준호", "Kim Minji"}

        # the reload keeps the admin signed in
        driver.refresh()
        _wait_text(driver, "New rating session")
        _settle(driver)
        _assert_clean(driver, "reload")

        # typing an existing person's name is refused before anything is written
        before = _counts(store)
        _type(driver, "Name", "Second round")
        _type(driver, NEW_PEOPLE, "Kim Minji\n박지우")
        _click(driver, "Create and invite")
        _wait_text(driver, "is already in the directory")
        assert _counts(store) == before
        # picked from the directory instead, she joins a second session
        _type(driver, NEW_PEOPLE, "박지우")
        _pick(driver, "People from the directory", "Kim Minji")
        _click(driver, "Create and invite")
        _wait_text(driver, "Session created")
        _settle(driver)
        second = next(s["id"] for s in sessions.sessions(store) if s["name"] == "Second round")
        assert {r["name"] for r in sessions.rater_progress(store, second)} == {"Kim Minji", "박지우"}
        assert [s["name"] for s in sessions.rater_sessions(store, _people(store)["Kim Minji"])] == [
            "Second round",
            "Korean experts",
        ]
        driver.get(f"{url}/admin")
        _wait_text(driver, "Progress")
        _settle(driver)
        _assert_clean(driver, "second visit")
        assert "Korean experts" in driver.page_source and "Agreement for this session" in driver.page_source
        driver.save_screenshot(str(SHOTS / "admin.png"))
        # the progress row's link opens that session's agreement, signed in without a token
        driver.find_element(By.XPATH, "//a[.//*[normalize-space(text())='Agreement for this session']]").click()
        _wait_text(driver, "All raters")
        _settle(driver)
        _assert_clean(driver, "agreement")
        assert "Friday experts" in driver.page_source and "%" in driver.page_source
        driver.save_screenshot(str(tmp_path / "agreement.png"))
    finally:
        driver.quit()
    ko = _browser("ko-KR")
    try:
        ko.set_window_size(1400, 2200)
        ko.get(f"{url}/?token={out['admin_token']}")
        _wait_text(ko, "데이터셋")
        _settle(ko)
        ko.get(f"{url}/admin")
        _wait_text(ko, "새 평가 세션")
        _settle(ko)
        _assert_clean(ko, "ko")
        assert "모델 이름 공개" in ko.page_source and "Korean experts" in ko.page_source
        ko.save_screenshot(str(SHOTS / "admin_ko.png"))
        _click(ko, "로그아웃")  # signing out ends the sign-in: a reload shows the sign-in form
        _wait_text(ko, "비밀번호")
        ko.refresh()
        _wait_text(ko, "비밀번호")
        _settle(ko)
        assert 'type="password"' in ko.page_source and not ko.get_cookie("wb_sign_in")
    finally:
        ko.quit()
    for name in ("admin", "admin_ko"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000


def _admin(out, page="views/admin.py", **params):
    at = app_as(out["admin_token"], **params)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_new_link_preselects_nobody_and_asks_first(seeded):
    store, out = seeded
    at = _admin(out)
    box = at.selectbox(key="ad_person")
    assert box.value is None and at.button(key="ad_issue").disabled
    assert "Expert 1" in box.options and "expert1" not in box.options  # names, not ids
    box.select("expert1").run()
    at.button(key="ad_issue").click().run()
    assert at.warning[0].value.startswith("Expert 1's current link will stop working")
    assert people.login_token(store, out["tokens"]["expert1"]).id == "expert1"  # nothing changed yet
    at.button(key="ad_confirm_yes").click().run()
    new = at.code[0].value.split("token=")[1]
    assert people.login_token(store, new).id == "expert1"
    with pytest.raises(people.AuthError):
        people.login_token(store, out["tokens"]["expert1"])
    mine = _admin(out)
    mine.selectbox(key="ad_person").select("admin").run()
    mine.button(key="ad_issue").click().run()
    assert mine.warning[0].value.startswith("This is your own account")


def test_language_is_remembered_on_the_person(seeded):
    store, out = seeded
    at = app_as(out["tokens"]["expert2"], lang="en")
    at.run()
    at.radio(key="lang_radio").set_value("ko").run()
    assert people.login_token(store, out["tokens"]["expert2"]).lang == "ko"
    again = app_as(out["tokens"]["expert2"], lang="en")  # another browser, in English
    again.run()
    again.run()
    assert again.radio(key="lang_radio").value == "ko" and "로그인됨" in again.sidebar.caption[0].value


def test_agreement_opens_on_the_newest_session_with_ratings(voted):
    st, out = voted
    rated = out["session_id"]
    made = sessions.open_session(
        st, "Nobody rated yet", [dict(item_id="q", prompt="p", outputs={"a": "x", "b": "y"})], models=["a", "b"],
        k=1, invite=["expert1"],
    )  # fmt: skip
    at = _admin(out, "views/agreement.py")
    assert at.selectbox(key="ag_session").value == rated
    assert "Expert 1" in page_text(at) or "Expert 2" in page_text(at)  # raters by name
    admin = _admin(out)
    links = [p.proto.page for p in admin.get("page_link")]
    assert links and all(p.endswith("agreement") for p in links)
    chosen = _admin(out, "views/agreement.py", session=made["session_id"])
    assert chosen.selectbox(key="ag_session").value == made["session_id"]
    sessions.archive_session(st, made["session_id"])
    assert made["session_id"] not in [s["id"] for s in sessions.sessions(st)]


def test_progress_names_pace_and_finish_on_the_admin_page(seeded):
    store, out = seeded
    sid = out["session_id"]
    for _ in range(3):
        item = sessions.next_item(store, sid, "expert1")
        sessions.cast_vote(store, sid, "expert1", item["item_id"], "left")
    at = _admin(out)
    text = page_text(at)
    assert "nan" not in text and "None" not in text and "NaT" not in text
    table = next(df.value for df in at.dataframe if "Person" in df.value.columns)
    assert list(table["Person"]) == ["Expert 1", "Expert 2", "Expert 3"]
    assert table.loc[0, "Rated"] == 3 and table.loc[0, "Time per comparison"].endswith("per comparison")
    assert table.loc[1, "Time per comparison"] == "—" and table.loc[1, "Expected finish"] == "—"
    assert "Friday experts" in text and "expected finish" in text
    at.button(key=f"ad_archive_{sid}").click().run()
    assert "Friday experts" in at.expander[-1].label or any("Archived" in e.label for e in at.expander)
    assert sessions.sessions(store) == [] and sessions.session_config(store, sid)["reveal"] == "each"
