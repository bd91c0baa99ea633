"""workbench app: `evalkit app` (or `streamlit run apps/app.py`). Raters see their rating queue; admins see every page.

Signing in once (a personal link, the password form or OIDC) keeps a person signed in for a week in this browser: a
cookie holds a random sign-in token whose SHA-256 and expiry the store keeps (`people.start_sign_in`), so a reload or
a bookmark opens the app without the token in the URL; signing out, or a new personal link, ends it. The language a
person picks is remembered on their row in the people directory."""

from __future__ import annotations

import streamlit as st

from apps import ui
from evalkit import people

COOKIE = "wb_sign_in"
COOKIE_S = int(people.SIGN_IN_TTL.total_seconds())

st.set_page_config(page_title="workbench", page_icon=":material/fact_check:", layout="wide")


def _cookie_js(value: str, max_age: int) -> None:
    """Set (or, with max_age 0, delete) the sign-in cookie in the browser: Streamlit reads cookies (st.context) but
    has no call that writes one, so a one-line script does it (the value is URL-safe base64, nothing to escape)."""
    st.sidebar.html(
        "<script>document.cookie = "
        f"'{COOKIE}={value}; Max-Age={max_age}; Path=/; SameSite=Lax'"
        " + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
        width=1,
    )


def _from_cookie() -> None:
    """Sign in from the browser's cookie, unless someone is signed in already or a link is being opened."""
    if st.session_state.get("user") is not None or st.query_params.get("token"):
        return
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str):  # no cookie (or a test harness without cookies)
        return
    try:
        st.session_state["user"] = people.sign_in_user(ui.store(), token)
    except people.AuthError:  # no cookie, an ended or an expired sign-in: the sign-in screen shows as before
        return
    st.session_state["sign_in"], st.session_state["sign_in_for"] = token, st.session_state["user"].id


def _keep_signed_in(user: people.User) -> None:
    """A new sign-in cookie for this browser when this person has none yet (after a link, password or OIDC)."""
    if st.session_state.get("sign_in_for") == user.id:
        return
    people.end_sign_in(ui.store(), st.session_state.get("sign_in"))
    token = people.start_sign_in(ui.store(), user.id)
    st.session_state["sign_in"], st.session_state["sign_in_for"] = token, user.id
    _cookie_js(token, COOKIE_S)


def _person_language(user: people.User | None) -> None:
    """Once per browser session, the language this person chose last time (before the language toggle is drawn)."""
    if user is None or st.session_state.get("lang_for") == user.id:
        return
    st.session_state["lang_for"] = user.id
    if user.lang:
        st.session_state["lang"] = st.session_state["lang_radio"] = user.lang
    st.session_state["lang_saved"] = ui.lang()


def _remember_language(user: people.User) -> None:
    """Store the language on the person when they change it; a first sign-in in this run reruns to apply theirs."""
    if st.session_state.get("lang_for") != user.id:
        if user.lang and user.lang != ui.lang():
            st.rerun()
        _person_language(user)
    if ui.lang() != st.session_state.get("lang_saved"):
        people.set_language(ui.store(), user.id, ui.lang())
        st.session_state["lang_saved"] = ui.lang()


def _sign_out() -> None:
    people.end_sign_in(ui.store(), st.session_state.get("sign_in"))
    for k in ("user", "token", "sign_in", "sign_in_for", "lang_for", "lang_saved"):
        st.session_state.pop(k, None)
    st.session_state["signed_out"] = True
    st.query_params.clear()
    st.rerun()


if st.session_state.pop("signed_out", False):
    _cookie_js("", 0)
_from_cookie()
_person_language(st.session_state.get("user"))
ui.language_toggle()
user = ui.sign_in()
_remember_language(user)
_keep_signed_in(user)

# Each page: its view file, url path and catalogue key (nav.<name>), and its Material icon. Raters see only `rate`;
# the admin pages are hidden from them, and opening one by URL gets a refusal.
PAGES = {
    "rate": "thumbs_up_down",
    "audit": "dataset",
    "suites": "checklist",
    "leaderboard": "leaderboard",
    "agreement": "handshake",
    "raters": "groups",
    "finetune": "model_training",
    "admin": "admin_panel_settings",
}
home = "audit" if user.is_admin else "rate"
pages = [
    st.Page(
        f"views/{name}.py",
        title=ui.t(f"nav.{name}"),
        icon=f":material/{icon}:",
        url_path=name,
        default=name == home,
        visibility="visible" if user.is_admin or name == "rate" else "hidden",
    )
    for name, icon in PAGES.items()
]
st.sidebar.caption(ui.t("app.signed_in", name=user.name, role=ui.t(f"role.{user.role}")))
if st.sidebar.button(ui.t("auth.sign_out"), key="sign_out"):
    _sign_out()
st.navigation(pages).run()
