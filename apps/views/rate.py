"""Rating session (experts): blind pairwise A/B or single-answer rubric scoring, one item at a time, resumable."""

from __future__ import annotations

import streamlit as st

from apps import ui
from evalkit import sessions

t = ui.t
store = ui.store()
user = st.session_state["user"]

st.title(t("rate.title"))
asked = st.query_params.get("rater")
if asked and asked != user.id:  # nobody opens another rater's queue, admins included: verdicts stay independent
    st.error(t("auth.not_your_queue"))
    st.stop()

mine = sessions.rater_sessions(store, user.id)
if not mine:
    st.info(t("rate.no_assignments"))
    st.stop()
labels = {s["id"]: f"{s['name']} ({s['done']}/{s['total']})" for s in mine}
sid = (
    st.selectbox(t("rate.session"), list(labels), format_func=labels.get, key="rate_session")
    if len(mine) > 1
    else mine[0]["id"]
)
mode = next(s["mode"] for s in mine if s["id"] == sid)

# After a vote: the saved verdict and the now-revealed model names, then the next item on request.
revealed = st.session_state.get("revealed")
if revealed and revealed["session"] == sid:
    st.success(t("rate.saved"))
    if revealed["right"] is not None:
        st.write(t("rate.revealed", left=revealed["left"], right=revealed["right"]))
    else:
        st.write(t("rate.revealed_single", model=revealed["left"]))
    if st.button(t("rate.next"), type="primary", shortcut="Enter", key="next"):
        st.session_state.pop("revealed", None)
        st.rerun()
    st.stop()

done, total = sessions.progress(store, sid, user.id)
item = sessions.next_item(store, sid, user.id)
if item is None:
    st.progress(1.0, text=t("rate.progress", n=total, total=total))
    st.success(t("rate.all_done", total=total))
    st.stop()
st.progress(done / total, text=t("rate.progress", n=done + 1, total=total))

st.subheader(t("rate.question"))
st.markdown(item["prompt"])
if item.get("reference"):
    with st.expander(t("rate.reference")):
        st.markdown(item["reference"])


def _vote(choice=None, score=None):
    try:
        res = sessions.cast_vote(
            store,
            sid,
            user.id,
            item["item_id"],
            choice,
            score=score,
            rationale=st.session_state.get(f"why_{item['item_id']}"),
        )
    except sessions.AlreadyRated:
        st.session_state["flash"] = t("rate.already")
        return
    st.session_state["revealed"] = dict(res, session=sid)


if st.session_state.pop("flash", None):
    st.warning(t("rate.already"))

if mode == "pairwise":
    left, right = st.columns(2, border=True)
    with left:
        st.markdown(f"**{t('rate.answer_a')}**")
        st.markdown(item["texts"][0])
    with right:
        st.markdown(f"**{t('rate.answer_b')}**")
        st.markdown(item["texts"][1])
    st.text_area(t("rate.rationale"), key=f"why_{item['item_id']}", height=80)
    cols = st.columns(4)
    for col, (choice, key, sc) in zip(
        cols,
        [
            ("left", "rate.a_better", "1"),
            ("right", "rate.b_better", "2"),
            ("tie", "rate.tie", "3"),
            ("bothbad", "rate.both_bad", "4"),
        ],
    ):
        col.button(
            t(key),
            key=f"vote_{choice}",
            shortcut=sc,
            on_click=_vote,
            args=(choice,),
            type="primary" if choice in ("left", "right") else "secondary",
            width="stretch",
        )
    st.caption(t("rate.shortcuts"))
else:
    with st.container(border=True):
        st.markdown(f"**{t('rate.answer')}**")
        st.markdown(item["texts"][0])
    cfg = sessions.session_config(store, sid)
    if cfg.get("rubric"):
        st.info(cfg["rubric"])
    lo, hi = (cfg.get("scale") or [1, 10])[:2]
    score = st.slider(t("rate.score"), lo, hi, (lo + hi) // 2, key=f"score_{item['item_id']}")
    st.text_area(t("rate.rationale"), key=f"why_{item['item_id']}", height=80)
    st.button(
        t("rate.save_score"), type="primary", key="vote_score", shortcut="S", on_click=_vote, kwargs=dict(score=score)
    )
