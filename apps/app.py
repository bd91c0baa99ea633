"""workbench app: `evalkit app` (or `streamlit run apps/app.py`). Raters see their rating queue; admins see every page."""

from __future__ import annotations

import streamlit as st

from apps import ui

st.set_page_config(page_title="workbench", page_icon=":material/fact_check:", layout="wide")
ui.language_toggle()
user = ui.sign_in()

# Each page: its view file, url path and catalogue key (nav.<name>), and its Material icon. Raters see only `rate`;
# the admin pages are hidden from them, and opening one by URL gets a refusal.
PAGES = {
    "rate": "thumbs_up_down",
    "audit": "dataset",
    "suites": "checklist",
    "leaderboard": "leaderboard",
    "agreement": "handshake",
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
    for k in ("user", "token"):
        st.session_state.pop(k, None)
    st.query_params.clear()
    st.rerun()
st.navigation(pages).run()
