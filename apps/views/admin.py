"""Admin: create a rating session from suite outputs for people from the directory and new ones (personal links),
re-issue a link, follow each session's progress (names, time per item, expected finish) and archive sessions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from apps import i18n, ui
from evalkit import gold, people, sessions
from workbench.errors import UserError

t = ui.t
me = ui.require_admin()
store = ui.store()
st.title(t("ad.title"))


def _link(token: str) -> str:
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0] or "http://127.0.0.1:8501"
    return f"{base}/?token={token}"


def _say(e: UserError) -> str:
    """A refusal in the page's language: the catalogue's sentence for a SetupError, else the package's English."""
    key = getattr(e, "key", None)
    if key and key in i18n.MESSAGES:
        return t(key, **e.fields)
    return e.message + (f" — {e.hint}" if e.hint else "")


def _person_label(directory: list[dict]):
    """Names as the lists show them; a name two people share gets its id beside it."""
    counts = pd.Series([p["name"] for p in directory]).value_counts()
    names = {p["id"]: p["name"] for p in directory}
    return lambda pid: names.get(pid, pid) + (f" ({pid})" if counts.get(names.get(pid), 0) > 1 else "")


def _form(suite: str, directory: list[dict]) -> dict | None:
    """The new-session form; what the admin asked for once they submit it, else None."""
    models = sessions.suite_models(store, suite)
    label = _person_label(directory)
    with st.form("new_session"):
        name = st.text_input(t("ad.name"), value=f"{suite} experts", key="ad_name")
        picked = st.multiselect(t("ad.models"), models, default=models[:3])
        mode = st.radio(t("ad.mode"), ["pairwise", "single"], format_func=ui.labels("ad.mode_"), horizontal=True)
        reveal = st.radio(
            t("ad.reveal"), list(sessions.REVEAL), index=1, format_func=ui.labels("ad.reveal_"), key="ad_reveal"
        )
        k = st.number_input(t("ad.k"), 1, 20, 2, key="ad_k")
        adaptive = st.checkbox(t("ad.adaptive"), value=False, help=t("ad.adaptive_help"), key="ad_adaptive")
        limit = st.number_input(t("ad.max_items"), 1, 10000, 40)
        rubric = st.text_area(t("ad.rubric"), value="")
        invite = st.multiselect(
            t("ad.people"), [p["id"] for p in directory], format_func=label, placeholder=t("ad.pick_people"),
            key="ad_people",
        )  # fmt: skip
        names = st.text_area(t("ad.raters"), placeholder="김민지\nKim Minji", key="ad_names")
        go = st.form_submit_button(t("ad.create"), type="primary")
    if not go:
        return None
    new = [n.strip() for n in names.splitlines() if n.strip()]
    return dict(name=name, models=picked, mode=mode, reveal=reveal, k=int(k), limit=int(limit), rubric=rubric,
                invite=invite, new_people=new, adaptive=bool(adaptive))  # fmt: skip


def _create(suite: str, ask: dict) -> None:
    """Check what the form asked, create the session in one transaction, and show the new people's links once."""
    try:
        if ask["mode"] == "pairwise" and len(ask["models"]) < 2:
            raise UserError(t("ad.two_models"))
        items = sessions.items_from_suite(store, suite, ask["models"], limit=ask["limit"])
        if not items:
            raise UserError(t("ad.no_items"))
        made = sessions.open_session(
            store, ask["name"], items, models=ask["models"], mode=ask["mode"], k=ask["k"], reveal=ask["reveal"],
            invite=ask["invite"], new_people=ask["new_people"], suite=suite, rubric=ask["rubric"] or None,
            adaptive=ask.get("adaptive", False),
        )  # fmt: skip
    except UserError as e:
        st.error(_say(e))
        return
    st.success(t("ad.created", n=made["units"], raters=len(made["people"])))
    if made["identical_skipped"]:
        st.info(t("ad.identical_skipped", n=made["identical_skipped"]))
    rows = [
        dict(name=p["name"], items=p["items"], link=_link(p["token"]) if p["token"] else t("ad.has_link"))
        for p in made["people"]
    ]
    st.caption(t("ad.links_once"))
    ui.table(pd.DataFrame(rows), {"name": "ad.name", "items": "ad.total", "link": "ad.link"})


def _new_link(directory: list[dict]) -> None:
    """Re-issue a person's link: nobody is preselected, and the old link ends only after a confirmation."""
    who = st.selectbox(
        t("ad.person"), [p["id"] for p in directory], index=None, format_func=_person_label(directory),
        placeholder=t("ad.pick_person"), key="ad_person",
    )  # fmt: skip
    if st.button(t("ad.issue"), key="ad_issue", disabled=who is None):
        st.session_state["ad_confirm"] = who
    pending = st.session_state.get("ad_confirm")
    if pending is None or pending != who:
        return
    name = _person_label(directory)(pending)
    st.warning(t("ad.confirm_self" if pending == me.id else "ad.confirm", name=name))
    yes, no = st.columns(2)
    if yes.button(t("ad.confirm_yes"), key="ad_confirm_yes", type="primary"):
        token = people.issue_token(store, pending)
        people.revoke_sign_ins(store, pending)
        st.session_state.pop("ad_confirm", None)
        st.success(t("ad.issued", name=name))
        st.code(_link(token))
    elif no.button(t("ad.confirm_no"), key="ad_confirm_no"):
        st.session_state.pop("ad_confirm", None)
        st.rerun()


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return t("ad.pace_fast")
    return t("ad.pace", s=f"{seconds:.0f}") if seconds < 120 else t("ad.pace_min", m=f"{seconds / 60:.0f}")


def _summary(sums: dict) -> str:
    if sums["total"] and sums["done"] >= sums["total"]:
        return t("ad.summary_done", total=sums["total"])
    if sums["s_per_item"] is None:
        return t("ad.summary_waiting", done=sums["done"], total=sums["total"])
    return t("ad.summary", done=sums["done"], total=sums["total"], pace=_minutes(sums["s_per_item"]),
             finish=_when(sums["expected_finish"]))  # fmt: skip


def _when(at) -> str:
    return "—" if at is None else pd.Timestamp(at).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def _progress(s: dict) -> None:
    """One session's line (totals, pace, expected finish, a link to its agreement, archive) and its raters' table."""
    rows = sessions.rater_progress(store, s["id"])
    sums = sessions.session_summary(rows)
    st.markdown(f"**{s['name']}** · {t('ad.mode_' + s['mode'])} · k={s['k']} · {_summary(sums)}")
    left, right = st.columns([4, 1])
    if s["n_ratings"]:
        left.page_link("views/agreement.py", label=t("ad.to_agreement"), query_params={"session": s["id"]},
                       icon=":material/handshake:")  # fmt: skip
    if right.button(t("ad.archive"), key=f"ad_archive_{s['id']}"):
        sessions.archive_session(store, s["id"])
        st.rerun()
    if rows:
        df = pd.DataFrame(
            [dict(name=r["name"], done=r["done"], total=r["total"], s_per_item=_minutes(r["s_per_item"]),
                  expected_finish=_when(r["expected_finish"]) if r["done"] < r["total"] else "—") for r in rows]
        )  # fmt: skip
        ui.table(df, {"name": "ad.person", "done": "ad.done", "total": "ad.total", "s_per_item": "ad.time_per_item",
                      "expected_finish": "ad.expected_finish"})  # fmt: skip


def _gold() -> None:
    """Mark a session's gold items (unit_id,verdict lines) and mix them unannounced into every rater's queue."""
    open_ = sessions.sessions(store)
    if not open_:
        st.info(t("ag.empty"))
        return
    labels = {s["id"]: s["name"] for s in open_}
    sid = st.selectbox(t("ag.session"), list(labels), format_func=labels.get, key="ad_gold_session")
    units = gold.session_units(store, sid)
    with st.expander(t("ad.gold_units", n=len(units))):
        ui.table(pd.DataFrame([{"unit_id": u["unit_id"], "prompt": str(u["prompt"])[:80]} for u in units]))
    text = st.text_area(t("ad.gold_lines"), placeholder="unit_id,verdict\nq1/p0,A", key="ad_gold_text")
    rate = st.number_input(t("ad.gold_rate"), 0.05, gold.MAX_GOLD_RATE, 0.1, step=0.05, key="ad_gold_rate")
    if not st.button(t("ad.gold_mix"), key="ad_gold_mix"):
        return
    import csv
    import io

    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    body = lines[1:] if lines and lines[0].replace(" ", "").lower().startswith("unit_id,") else lines
    rows = [
        (f"line {n}", dict(zip(("unit_id", "verdict"), r)))
        for n, r in enumerate(csv.reader(io.StringIO("\n".join(body))), 1)
    ]
    try:
        key = gold.check_gold(rows, [u["unit_id"] for u in units])
        gold.set_gold(store, sid, key)
        added = gold.mix_gold(store, sid, rate=float(rate))
    except UserError as e:
        st.error(_say(e))
        return
    st.success(t("ad.gold_done", n=len(key), added=sum(added.values()), raters=len(added)))


directory = people.directory(store)
with st.expander(t("ad.new_session"), expanded=True):
    suites = sessions.suites_with_outputs(store)
    if not suites:
        st.info(t("su.empty"))
    else:
        suite = st.selectbox(t("su.suite"), suites, key="ad_suite")
        ask = _form(suite, directory)
        if ask is not None:
            _create(suite, ask)
            directory = people.directory(store)

with st.expander(t("ad.new_link")):
    _new_link(directory)

with st.expander(t("ad.gold")):
    _gold()

st.subheader(t("ad.progress"))
for s in sessions.sessions(store):
    _progress(s)

archived = sessions.sessions(store, archived=True)
if archived:
    with st.expander(t("ad.archived", n=len(archived))):
        for s in archived:
            a, b = st.columns([4, 1])
            a.markdown(f"**{s['name']}** · {t('ad.mode_' + s['mode'])} · {_when(s['created_at'])}")
            if b.button(t("ad.restore"), key=f"ad_restore_{s['id']}"):
                sessions.archive_session(store, s["id"], archived=False)
                st.rerun()
