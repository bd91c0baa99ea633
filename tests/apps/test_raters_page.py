"""The Raters page and the Agreement page's judge-reliability table render from a seeded store (Streamlit AppTest),
and show the agreement package's figures on the stored verdicts."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.agreement import agreement_report
from evalkit.verdicts_io import read_ratings
from tests.apps.conftest import page_text


def test_raters_page_shows_each_rater_against_the_consensus(admin_app):
    at, st, out = admin_app
    at.switch_page("views/raters.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    sid = at.selectbox(key="rt_session").value
    rows = [r for r in read_ratings(st, kind="pairwise") if r["session_id"] == sid]
    df = pd.DataFrame({"item_id": [r["item_id"] for r in rows], "rater": [r["rater"] for r in rows]})
    df["rating"] = [r["verdict"] for r in rows]
    ref = agreement_report(df, consensus="dawid-skene", bootstrap=0)["raters"]
    assert len(table) == len(ref)
    want = sorted(f["agreement_with_consensus"]["value"] for f in ref.values() if f["agreement_with_consensus"])
    assert sorted(table["Agrees"].dropna()) == pytest.approx(want)
    assert "Cohen's kappa between raters" in page_text(at)
    # seconds per item from when the votes were saved: each rater's gaps between votes, the first one unknown
    by_rater: dict = {}
    for r in sorted(rows, key=lambda r: r["created_at"]):
        by_rater.setdefault(r["rater"], []).append(pd.Timestamp(r["created_at"]))
    gaps = {k: [(b - a).total_seconds() for a, b in zip(v, v[1:])] for k, v in by_rater.items()}
    medians = sorted(float(pd.Series(g).median()) for g in gaps.values() if g)
    assert sorted(table["Sec/item"].dropna()) == pytest.approx([round(m) for m in medians])  # whole s


def test_agreement_page_lists_stored_judge_reliability(admin_app):
    from evalkit.judges import PairVerdict
    from evalkit.judges.reliability import reliability_report

    at, st, out = admin_app
    per = [{"order": "AB", "verdict": "A", "mapped": "A", "raw": ""}, {"order": "BA", "verdict": "A", "mapped": "B"}]
    rel = reliability_report(
        [PairVerdict("q1", "tie", per, "")] * 12, [{"answer_a": "x", "answer_b": "y"}] * 12, judge="j"
    )
    run = st.start_run("judge", "pairs judged by j")
    st.finish_run(run, summary={"reliability": rel})
    at.switch_page("views/agreement.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert rel["verdict"] in page_text(at) and rel["verdict"].startswith("trust: position bias high")


def test_admin_marks_gold_and_the_raters_page_scores_it(admin_app):
    from evalkit import gold

    at, st, out = admin_app
    at.switch_page("views/admin.py").run()
    sid = at.selectbox(key="ad_gold_session").value
    units = [u["unit_id"] for u in gold.session_units(st, sid)][:3]
    at.text_area(key="ad_gold_text").set_value("unit_id,verdict\n" + "\n".join(f"{u},A" for u in units)).run()
    at.button(key="ad_gold_mix").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert gold.session_gold(st, sid) == dict.fromkeys(units, "A")
    at.text_area(key="ad_gold_text").set_value(f"{units[0]},\n{units[1]},B").run()
    at.button(key="ad_gold_mix").click().run()
    assert "line 1" in at.error[0].value and "no verdict (1 of 2" in at.error[0].value
