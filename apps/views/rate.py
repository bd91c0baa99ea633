"""Rating session (experts): blind pairwise A/B or single-answer scoring, one item at a time, resumable.

The guidelines sit beside the task in both modes; a vote stores and moves on in one step; "unsure / skip" takes a
reason; answers show as wrapped plain text (differences marked) unless the rater asks for Markdown. Model names follow
the session's reveal policy: never, at the end of the rater's queue (votes become final then), or after each vote.
Earlier votes can be reviewed and changed until then (evalkit.votes keeps the history)."""

from __future__ import annotations

import streamlit as st

from apps import ui
from evalkit import sessions, votes

t = ui.t
store = ui.store()
user = st.session_state["user"]
ui.keyboard()

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
cfg = votes.screen_config(store, sid)
cfg["reveal"] = sessions.session_config(store, sid).get("reveal", cfg["reveal"])
CHOICES = {"left": "rate.a_better", "right": "rate.b_better", "tie": "rate.tie", "bothbad": "rate.both_bad"}
SKIP_KEY = "rate.skip"


def _vote_words(v: dict) -> str:
    if v["choice"] == votes.SKIP:
        return t(SKIP_KEY)
    if v["choice"] is None:
        return t("rate.score_value", score=f"{v['score']:g}")
    return t(CHOICES[v["choice"]])


def _guidelines() -> None:
    """The rubric (the admin's, else the house default for the mode) and its example, always beside the task."""
    with st.container(border=True):
        st.markdown(f"**{t('rate.guidelines')}**")
        st.markdown(cfg.get("rubric") or t(f"rate.guidelines_{mode}"))
        if cfg.get("example"):
            st.markdown(f"**{t('rate.example')}**")
            st.markdown(cfg["example"])


def _answers(texts: list[str], key: str) -> None:
    """The answers side by side (pairwise) or alone, as text with differences marked, or as Markdown on request."""
    as_md = st.toggle(t("rate.markdown"), key=f"md_{key}")
    if len(texts) == 1:
        with st.container(border=True):
            st.markdown(f"**{t('rate.answer')}**")
            ui.answer(texts[0], markdown=as_md)
        return
    a, b = texts
    cols = st.columns(2, border=True)
    for col, label, text, other in zip(cols, ("rate.answer_a", "rate.answer_b"), (a, b), (b, a)):
        with col:
            st.markdown(f"**{t(label)}**")
            ui.answer(text, other, markdown=as_md)
    if not as_md:
        st.caption(t("rate.identical") if a == b else t("rate.differences"))


def _after(res: dict) -> None:
    """What the next screen says about the vote just stored (model names only under the "each" policy)."""
    if cfg["reveal"] != "each":
        st.session_state["flash"] = t("rate.saved")
    elif res.get("right") is None:
        st.session_state["flash"] = t("rate.saved_revealed_single", model=res["left"])
    else:
        st.session_state["flash"] = t("rate.saved_revealed", left=res["left"], right=res["right"])


def _vote(item: dict, choice=None, score=None) -> None:
    why = (st.session_state.get(f"why_{item['item_id']}") or "").strip()
    try:
        if choice == votes.SKIP:
            if not why:
                st.session_state["need_reason"] = item["item_id"]
                return
            res = votes.skip(store, sid, user.id, item["item_id"], why)
        else:
            res = sessions.cast_vote(store, sid, user.id, item["item_id"], choice, score=score, rationale=why)
    except sessions.AlreadyRated:  # another tab voted first: say so on this item, not the next one
        st.session_state["already"] = dict(item, session=sid)
        return
    _after(res)


def _pick_score(item_id: str, value: int) -> None:
    st.session_state[f"score_{item_id}"] = value


def _score_key(value: int, lo: int) -> str | None:
    """The number key for a score: the digit itself; 0 for 10 on a scale that starts at 1."""
    if 0 <= value <= 9:
        return str(value)
    return "0" if value == 10 and lo >= 1 else None


def _controls(item: dict) -> None:
    """The vote buttons (pairwise) or the score picker (single), the reason box, and unsure / skip."""
    iid = item["item_id"]
    if st.session_state.get("need_reason") == iid:
        st.warning(t("rate.skip_needs_reason"))
    st.text_area(t("rate.rationale"), key=f"why_{iid}", height=80)
    if mode == "pairwise":
        with st.container(horizontal=True):  # each button as wide as its label (no "Both are …")
            for (choice, key), sc in zip(CHOICES.items(), "1234"):
                kind = "primary" if choice in ("left", "right") else "secondary"
                st.button(t(key), key=f"vote_{choice}", shortcut=sc, on_click=_vote, args=(item, choice), type=kind)
            st.button(t(SKIP_KEY), key="vote_skip", shortcut="X", on_click=_vote, args=(item, votes.SKIP))
        st.caption(t("rate.shortcuts"))
        return
    lo, hi = (int(x) for x in cfg["scale"][:2])
    chosen = st.session_state.get(f"score_{iid}")
    st.markdown(f"**{t('rate.score')}**")
    cols = st.columns(min(hi - lo + 1, 11))
    keys = []
    for col, value in zip(cols, range(lo, hi + 1)):
        sc = _score_key(value, lo)
        keys.append(f"{sc}={value}" if sc and str(value) != sc else sc or "")
        col.button(
            str(value),
            key=f"score_btn_{value}",
            shortcut=sc,
            type="primary" if chosen == value else "secondary",
            on_click=_pick_score,
            args=(iid, value),
        )
    c1, c2 = st.columns(2)
    c1.button(
        t("rate.save_score"),
        type="primary",
        key="vote_score",
        shortcut="S",
        disabled=chosen is None,
        on_click=_vote,
        args=(item,),
        kwargs=dict(score=chosen),
    )
    c2.button(t(SKIP_KEY), key="vote_skip", shortcut="X", on_click=_vote, args=(item, votes.SKIP))
    st.caption(t("rate.score_keys", keys=", ".join(k for k in keys if k)))


def _refused(item: dict) -> None:
    """The double-vote warning, on the item it concerns (with its question and answers), until the rater continues."""
    st.warning(t("rate.already"))
    st.subheader(t("rate.question"))
    ui.answer(item["prompt"])
    _answers(item["texts"], f"already_{item['item_id']}")
    if st.button(t("rate.continue"), type="primary", shortcut="Enter", key="continue"):
        st.session_state.pop("already", None)
        st.rerun()


def _change(v: dict) -> None:
    """Change one earlier vote (the history keeps the old one)."""
    iid = v["item_id"]
    if mode == "pairwise":
        options = [*CHOICES, votes.SKIP]
        new = st.radio(
            t("rate.change_to"),
            options,
            index=options.index(v["choice"]) if v["choice"] in options else None,
            format_func=lambda c: t(CHOICES.get(c, SKIP_KEY)),
            horizontal=True,
            key=f"chg_{iid}",
        )
        score = None
    else:
        lo, hi = (int(x) for x in cfg["scale"][:2])
        score = st.number_input(t("rate.change_to"), float(lo), float(hi), value=v["score"], step=1.0, key=f"chg_{iid}")
        new = None
    why = st.text_input(t("rate.rationale"), value=v["rationale"] or "", key=f"chg_why_{iid}")
    if st.button(t("rate.save_change"), key=f"chg_save_{iid}"):
        try:
            res = votes.change(store, sid, user.id, iid, new, score=score, rationale=why.strip())
        except votes.Closed:
            st.error(t("rate.final"))
            return
        except ValueError:
            st.warning(t("rate.skip_needs_reason"))
            return
        st.success(t("rate.changed") if res["changed"] else t("rate.unchanged"))


def _review(mine_votes: list[dict], *, expanded: bool = False) -> None:
    """The rater's earlier votes: pick one, see it as it was shown, change it."""
    if not mine_votes:
        return
    by_id = {v["item_id"]: v for v in mine_votes}
    item_key = "rate.review_item" if mode == "pairwise" else "rate.review_item_single"
    if not st.toggle(t("rate.review", n=len(mine_votes)), value=expanded, key=f"review_open_{expanded}"):
        return
    with st.container(border=True):
        iid = st.selectbox(
            t("rate.review_pick"),
            list(by_id),
            format_func=lambda i: t(item_key, n=by_id[i]["position"] + 1, vote=_vote_words(by_id[i])),
            key="review_pick",
        )
        v = by_id[iid]
        st.markdown(f"**{t('rate.question')}**")
        ui.answer(v["prompt"])
        _answers(v["texts"], f"review_{iid}")
        st.markdown(t("rate.your_vote", vote=_vote_words(v)) + (f" — {v['rationale']}" if v["rationale"] else ""))
        _change(v)


def _summary(mine_votes: list[dict]) -> None:
    """Every vote with its question, its answers and the models behind them (after the queue, names revealed)."""
    st.subheader(t("rate.summary"))
    for v in mine_votes:
        with st.container(border=True):
            n = v["position"] + 1
            key = "rate.review_item" if mode == "pairwise" else "rate.review_item_single"
            st.markdown(f"**{t(key, n=n, vote=_vote_words(v))}**" + (f" — {v['rationale']}" if v["rationale"] else ""))
            ui.answer(v["prompt"])
            cols = st.columns(len(v["texts"]))
            sides = ("rate.answer_a", "rate.answer_b") if len(v["texts"]) == 2 else ("rate.answer",)
            for col, side, model, text in zip(cols, sides, v["models"], v["texts"]):
                col.markdown(t("rate.answer_from", side=t(side), model=model))
                with col:
                    ui.answer(text)


def _done(total: int) -> None:
    """The end of the queue: thanks, then review, and the names as the reveal policy says."""
    st.progress(1.0, text=t("rate.progress", n=total, total=total))
    st.success(t("rate.all_done" if mode == "pairwise" else "rate.all_done_single", total=total))
    mine_votes = votes.my_votes(store, sid, user.id)
    final = votes.is_final(store, sid, user.id)
    if cfg["reveal"] == "never":
        st.info(t("rate.names_never"))
    elif cfg["reveal"] == "end" and not final:
        st.info(t("rate.show_names_note"))
        if st.button(t("rate.show_names"), type="primary", key="show_names"):
            votes.finalise(store, sid, user.id)
            st.rerun()
    else:
        _summary(mine_votes)
    if final:
        st.caption(t("rate.final"))
    else:
        _review(mine_votes, expanded=cfg["reveal"] == "end")


already = st.session_state.get("already")
if already and already["session"] == sid:
    _refused(already)
    st.stop()

done, total = sessions.progress(store, sid, user.id)
item = sessions.next_item(store, sid, user.id)
if item is None:
    _done(total)
    st.stop()
if flash := st.session_state.pop("flash", None):
    st.success(flash)
st.progress(done / total, text=t("rate.progress", n=done + 1, total=total))

task, side = st.columns([3, 1])
with side:
    _guidelines()
with task:
    st.subheader(t("rate.question"))
    ui.answer(item["prompt"])
    if item.get("reference"):
        with st.expander(t("rate.reference")):
            ui.answer(item["reference"])
    _answers(item["texts"], "item")
    _controls(item)
if not votes.is_final(store, sid, user.id):
    _review(votes.my_votes(store, sid, user.id))
