"""Admin: create a rating session from suite outputs, invite raters (personal links), follow progress."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from apps import ui
from evalkit import people, sessions
from workbench.errors import UserError

t = ui.t
ui.require_admin()
store = ui.store()
st.title(t("ad.title"))


def _link(token: str) -> str:
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0] or "http://127.0.0.1:8501"
    return f"{base}/?token={token}"


with st.expander(t("ad.new_session"), expanded=False):
    suites = sessions.suites_with_outputs(store)
    if not suites:
        st.info(t("su.empty"))
    else:
        suite = st.selectbox(t("su.suite"), suites, key="ad_suite")
        models = sessions.suite_models(store, suite)
        with st.form("new_session"):
            name = st.text_input(t("ad.name"), value=f"{suite} experts", key="ad_name")
            picked = st.multiselect(t("ad.models"), models, default=models[:3])
            mode = st.radio(t("ad.mode"), ["pairwise", "single"], format_func=ui.labels("ad.mode_"), horizontal=True)
            k = st.number_input(t("ad.k"), 1, 20, 2, key="ad_k")
            limit = st.number_input(t("ad.max_items"), 1, 10000, 40)
            rubric = st.text_area(t("ad.rubric"), value="")
            names = st.text_area(t("ad.raters"), placeholder="Kim Minji\nLee Junho", key="ad_names")
            go = st.form_submit_button(t("ad.create"), type="primary")
        if go:
            invited = [n.strip() for n in names.splitlines() if n.strip()]
            try:  # what a person can get wrong here is checked before anything is written
                if len(invited) < int(k):
                    raise UserError(t("ad.too_few", k=int(k), n=len(invited)))
                if mode == "pairwise" and len(picked) < 2:
                    raise UserError(t("ad.two_models"))
                items = sessions.items_from_suite(store, suite, picked, limit=int(limit))
                if not items:
                    raise UserError(t("ad.no_items"))
                sid = sessions.create_session(
                    store, name, items, models=picked, mode=mode, k=int(k), suite=suite, rubric=rubric or None
                )
                links = []
                for line in invited:
                    user, tok = people.create_user(store, line)
                    links.append(dict(rater=user.id, name=line, link=_link(tok)))
                sessions.assign(store, sid, [x["rater"] for x in links])
                st.success(t("ad.created", n=len(items), raters=len(links)))
                st.caption(t("ad.links_once"))
                ui.table(pd.DataFrame(links), {"rater": "ag.rater", "name": "ad.name", "link": "ad.link"})
            except UserError as e:
                st.error(f"{e.message}" + (f" — {e.hint}" if e.hint else ""))
            except sa.exc.IntegrityError:
                st.error(t("ad.duplicate_rater"))

with st.expander(t("ad.new_link")):
    who = st.selectbox(t("ad.person"), people.user_ids(store), key="ad_person")
    if st.button(t("ad.issue"), key="ad_issue") and who:
        st.code(_link(people.issue_token(store, who)))

st.subheader(t("ad.progress"))
for s in sessions.sessions(store):
    prog = pd.DataFrame(sessions.rater_progress(store, s["id"]))
    done = int(prog["done"].sum()) if len(prog) else 0
    total = int(prog["total"].sum()) if len(prog) else 0
    mode_label = t("ad.mode_" + s["mode"])
    st.markdown(f"**{s['name']}** · {mode_label} · k={s['k']} · {done}/{total}")
    if len(prog):
        ui.table(prog, {"rater_id": "ad.person", "total": "ad.total", "done": "ad.done"})
