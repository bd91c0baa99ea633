"""What every page shares: the store, the signed-in user, the language, refusals and chart styling."""

from __future__ import annotations

import difflib
import html
import os
import re

import altair as alt
import streamlit as st

from apps import i18n
from apps.data import Unavailable
from evalkit import people
from workbench.store import Store, open_store

# A font with Hangul first, so Korean labels in charts render (Debian fonts-nanum; browsers fall back otherwise).
CHART_FONT = "NanumGothic, 'Noto Sans CJK KR', 'Malgun Gothic', 'Apple SD Gothic Neo', sans-serif"


@st.cache_resource(show_spinner=False)
def _store(url: str | None) -> Store:
    return open_store(url)


def store() -> Store:
    return _store(os.environ.get("WORKBENCH_STORE"))


def lang() -> str:
    if "lang" not in st.session_state:
        # The browser's Accept-Language header; its navigator.language (st.context.locale) when there is none.
        header = st.context.headers.get("Accept-Language") or st.context.locale
        st.session_state["lang"] = i18n.from_accept_language(header)
    return st.session_state["lang"]


def t(key: str, **kw) -> str:
    return i18n.t(key, lang(), **kw)


def plural(key: str, n: int, **kw) -> str:
    """`key` said of a count: its `_one` form when `n` is 1 and the catalogue has one ("1 record", not "1 records")."""
    one = f"{key}_one"
    return t(one if n == 1 and one in i18n.MESSAGES else key, n=n, **kw)


_FLAG = re.compile(r"(^|[\s(,;])--[a-z][\w-]*")


def user_message(e: BaseException, paths: dict[str, str] | None = None) -> str:
    """An error a package raised, said for the app: its message without the command-line hint (flags mean nothing
    here), any temporary path replaced by the name the person knows (`paths`: {path: name})."""
    text = getattr(e, "message", None) or str(e).split("\n  hint:")[0]
    for path, name in sorted((paths or {}).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(path, name)
    return _FLAG.sub(lambda m: m.group(1), text).strip()


def say(msg: dict | None, english: str = "") -> str:
    """A sentence a package wrote into its report, in the page's language (its English when it carries no key)."""
    return i18n.say(msg, lang(), english)


def why(details) -> str:
    """A case's failed assertions ("type: reason; ...") in the page's language: each reason from the `reason_key` the
    suite runner stores beside it; its English for results stored before the keys, and the error text of a case that
    errored (an exception's words)."""
    if not isinstance(details, dict):
        return ""
    bad = [a for a in details.get("assertions", []) if isinstance(a, dict) and not a.get("passed", True)]
    return "; ".join(
        f"{a.get('type') or a.get('name')}: "
        f"{say(a.get('reason_key'), a.get('message') or a.get('reason') or '')}".rstrip(": ")
        for a in bad
    ) or str(details.get("error") or "")


def labels(prefix: str, none: str = "none"):
    """Labels for option codes (a widget's format_func, a column's map): the catalogue's `prefix + code` (`none` for
    None) in the language of the run that made them; a code the catalogue doesn't name shows as itself."""
    lang_ = lang()

    def label(code) -> str:
        key = prefix + (none if code is None else str(code))
        return i18n.t(key, lang_) if key in i18n.MESSAGES else str(code)

    return label


def columns(df, keys: dict[str, str]):
    """`df` with the columns in `keys` ({column: catalogue key}) renamed to their labels in the page's language."""
    return df.rename(columns={c: t(k) for c, k in keys.items()})


def table(
    df, keys: dict[str, str] | None = None, *, hide_index: bool | None = True, percent: tuple[str, ...] = ()
) -> None:
    """`df` as a full-width table (without its index unless `hide_index` says otherwise), the columns in `keys`
    ({column: catalogue key}) labelled in the page's language; the `percent` columns (fractions) shown as 56.3%."""
    config = {t(keys[c]) if keys and c in keys else c: st.column_config.NumberColumn(format="percent") for c in percent}
    st.dataframe(
        columns(df, keys) if keys else df, hide_index=hide_index, width="stretch", column_config=config or None
    )


def _set_lang() -> None:
    st.session_state["lang"] = st.session_state["lang_radio"]


def language_toggle() -> None:
    st.session_state.setdefault("lang_radio", lang())
    st.sidebar.radio(
        t("lang.label"),
        list(i18n.LANGUAGES),
        format_func=lambda c: i18n.LANGUAGES[c],
        horizontal=True,
        key="lang_radio",
        on_change=_set_lang,
    )


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets.toml at all
        return False


def _oidc_user() -> people.User | None:
    """With an [auth] section in .streamlit/secrets.toml, Streamlit's OIDC login (st.login) identifies people; the
    rater whose id is their e-mail address is signed in. Someone not invited gets a refusal."""
    if not st.user.is_logged_in:
        st.title(t("app.title"))
        st.button(t("auth.oidc_sign_in"), on_click=st.login, type="primary", key="oidc_login")
        st.stop()
    try:
        return people.find_user(store(), str(st.user.email or ""))
    except people.AuthError as e:
        st.error(t(f"auth.{e.reason}"))
        st.stop()


def sign_in() -> people.User | None:
    """The user from the session, a ?token= link, OIDC (when configured) or the password form; shows a clear refusal
    and stops otherwise."""
    token = st.query_params.get("token")
    user: people.User | None = st.session_state.get("user")
    if user is None and not token and _oidc_configured():
        st.session_state["user"] = user = _oidc_user()
    if token and (user is None or st.session_state.get("token") != token):
        try:
            user = people.login_token(store(), token)
        except people.AuthError as e:
            st.session_state.pop("user", None)
            st.error(t(f"auth.{e.reason}"))
            st.caption(t("auth.ask_admin"))
            st.stop()
        st.session_state["user"], st.session_state["token"] = user, token
    if user is not None:
        return user
    st.title(t("app.title"))
    st.write(t("auth.intro"))
    with st.form("login"):
        name = st.text_input(t("auth.username"), key="login_user")
        pw = st.text_input(t("auth.password"), type="password", key="login_pass")
        ok = st.form_submit_button(t("auth.sign_in"))
    if ok:
        try:
            st.session_state["user"] = people.login_password(store(), name.strip(), pw)
            st.rerun()
        except people.AuthError as e:
            st.error(t(f"auth.{e.reason}"))
    st.stop()


def require_admin() -> people.User:
    """Stop the page with a refusal unless an admin is signed in."""
    user = st.session_state.get("user")
    try:
        return people.require_role(user, "admin")
    except people.AuthError as e:
        st.error(t(f"auth.{e.reason}"))
        st.stop()


def unavailable(e: Unavailable) -> None:
    st.warning(t("app.unavailable", what=str(e)))


def load_or_stop(compute, empty_key: str):
    """Run a page's data function; stop the page with a notice when a package is unavailable or there is nothing."""
    try:
        value = compute()
    except Unavailable as e:
        unavailable(e)
        st.stop()
    if value is None:
        st.info(t(empty_key))
        st.stop()
    return value


def chart(c: alt.Chart) -> None:
    st.altair_chart(
        c.configure(font=CHART_FONT)
        .configure_axis(labelFont=CHART_FONT, titleFont=CHART_FONT)
        .configure_legend(labelFont=CHART_FONT, titleFont=CHART_FONT),
        width="stretch",
    )


# -- the rater's screen: answers as text, and the keyboard ----------------------------------------------------------
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_TEXT_STYLE = (
    "white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;font-family:inherit;line-height:1.55;margin:0"
)
_MARK_STYLE = "background:#fde68a;color:inherit;padding:0 1px;border-radius:2px"


def differing_spans(text: str, other: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, differs) runs: word-level difflib against `other`, whitespace never marked alone."""
    a, b = _TOKENS.findall(text), _TOKENS.findall(other)
    runs: list[tuple[str, bool]] = []
    for op, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        piece = "".join(a[i1:i2])
        if piece:
            runs.append((piece, op != "equal" and bool(piece.strip())))
    return runs


def text_html(text: str, other: str | None = None) -> str:
    """An answer as wrapped plain text (escaped: a code fence or HTML in it is shown, never run), the spans that
    differ from `other` marked."""
    runs = differing_spans(text, other) if other is not None and other != text else [(text, False)]
    body = "".join(
        f'<mark style="{_MARK_STYLE}">{html.escape(p)}</mark>' if marked else html.escape(p) for p, marked in runs
    )
    return f'<div class="wb-answer" style="{_TEXT_STYLE}">{body}</div>'


def answer(text: str, other: str | None = None, *, markdown: bool = False) -> None:
    """Show a model's answer: plain wrapped text with the differences from `other` marked, or rendered Markdown."""
    if markdown:
        st.markdown(text)
    else:
        st.html(text_html(text or "", other))


# Shortcuts act only when focus is not in a text field (Streamlit's own rule); this gives focus back to the page after
# a choice widget changes (a radio, a toggle, the language switch) and lets Esc leave a text box, so the keys work
# again without a click.
_KEYBOARD_JS = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.__wbKeyboard) return;
  doc.__wbKeyboard = true;
  const isChoice = (el) => el && el.tagName === "INPUT" && ["radio", "checkbox"].includes(el.type);
  const release = () => {
    const el = doc.activeElement;
    if (isChoice(el)) el.blur();
  };
  // a choice made with the pointer: focus goes back to the page once the rerun has settled (keyboard users who
  // tab to a radio keep their focus and its arrow keys)
  doc.addEventListener("click", (e) => {
    const t = e.target;
    const label = t && t.closest ? t.closest("label") : null;
    if (isChoice(t) || (label && label.querySelector("input[type=radio], input[type=checkbox]"))) {
      [50, 400, 1200, 2500].forEach((ms) => setTimeout(release, ms));
    }
  }, true);
  doc.addEventListener("keydown", (e) => {
    const el = e.target;
    if (e.key === "Escape" && el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT")) { el.blur(); }
  }, true);
})();
</script>
"""


def keyboard() -> None:
    """Install the page's keyboard rules (once per browser tab)."""
    st.html(_KEYBOARD_JS, unsafe_allow_javascript=True)
