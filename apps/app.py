"""workbench app: `evalkit app` (or `streamlit run apps/app.py`). Raters see their rating queue; admins see every page."""

from __future__ import annotations

import streamlit as st

from apps import ui

st.set_page_config(page_title="workbench", page_icon=":material/fact_check:", layout="wide")
ui.language_toggle()
user = ui.sign_in()

admin = user.is_admin
hidden = "visible" if admin else "hidden"  # raters don't see admin pages; opening one by URL gets a refusal
pages = [
    st.Page(
        "views/rate.py", title=ui.t("nav.rate"), icon=":material/thumbs_up_down:", url_path="rate", default=not admin
    ),
    st.Page(
        "views/audit.py",
        title=ui.t("nav.audit"),
        icon=":material/dataset:",
        url_path="audit",
        default=admin,
        visibility=hidden,
    ),
    st.Page(
        "views/suites.py", title=ui.t("nav.suites"), icon=":material/checklist:", url_path="suites", visibility=hidden
    ),
    st.Page(
        "views/leaderboard.py",
        title=ui.t("nav.leaderboard"),
        icon=":material/leaderboard:",
        url_path="leaderboard",
        visibility=hidden,
    ),
    st.Page(
        "views/agreement.py",
        title=ui.t("nav.agreement"),
        icon=":material/handshake:",
        url_path="agreement",
        visibility=hidden,
    ),
    st.Page(
        "views/finetune.py",
        title=ui.t("nav.finetune"),
        icon=":material/model_training:",
        url_path="finetune",
        visibility=hidden,
    ),
    st.Page(
        "views/admin.py",
        title=ui.t("nav.admin"),
        icon=":material/admin_panel_settings:",
        url_path="admin",
        visibility=hidden,
    ),
]
st.sidebar.caption(ui.t("app.signed_in", name=user.name, role=ui.t(f"role.{user.role}")))
if st.sidebar.button(ui.t("auth.sign_out"), key="sign_out"):
    for k in ("user", "token"):
        st.session_state.pop(k, None)
    st.query_params.clear()
    st.rerun()
st.navigation(pages).run()
