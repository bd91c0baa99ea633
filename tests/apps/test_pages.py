"""Every page renders from a seeded store (Streamlit AppTest), and the page queries match the raw rows."""

from __future__ import annotations

import collections
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from apps import data, i18n
from tests.apps.conftest import app_as, page_text
from workbench.store import schema

PAGES = [
    "views/audit.py",
    "views/suites.py",
    "views/leaderboard.py",
    "views/agreement.py",
    "views/finetune.py",
    "views/admin.py",
    "views/rate.py",
]


def _rows(store, table) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(table)).mappings().all())


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_admin(admin_app, page):
    at, st, out = admin_app
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.title) == 1


def test_leaderboard_page_shows_every_model_with_intervals(admin_app):
    at, st, out = admin_app
    at.switch_page("views/leaderboard.py").run()
    table = at.dataframe[0].value
    assert sorted(table["Model"]) == sorted(out["models"])
    assert (table["95% CI low"] <= table["Rating"]).all() and (table["Rating"] <= table["95% CI high"]).all()
    # the page's figures are the ratings package's figures on the stored battles, filtered as chosen
    from evalkit.ratings import leaderboard

    raw = _rows(st, schema.battles)[["model_a", "model_b", "winner"]]
    ref = leaderboard(raw, bootstrap=200, seed=0, disconnected="split")
    assert dict(zip(table["Model"], table["Rating"])) == ref["ratings"]
    at.selectbox(key="lb_judge").set_value("human").run()
    human = at.dataframe[0].value
    n_human = int((_rows(st, schema.battles)["judge_kind"] == "human").sum())
    assert human["Battles"].sum() == 2 * n_human  # each battle counts for both of its models


def test_agreement_page_reports_judge_against_experts(admin_app):
    at, st, out = admin_app
    at.switch_page("views/agreement.py").run()
    at.selectbox(key="ag_judge").set_value("judge:smollm2").run()
    assert not at.exception
    text = page_text(at)
    assert "Judge vs experts" in text and "Krippendorff's alpha" in text
    assert any("experts" in (s.value or "") for s in list(at.success) + list(at.warning))
    assert at.selectbox(key="ag_item").options  # the disagreement browser lists items


def test_suites_and_finetune_and_audit_pages_show_the_stored_figures(admin_app):
    at, st, out = admin_app
    at.switch_page("views/suites.py").run()
    summary = at.dataframe[0].value
    cases = _rows(st, schema.case_results)
    expect = cases.groupby("model")["status"].apply(lambda s: round((s == "pass").mean(), 4)).to_dict()
    assert dict(zip(summary["Model"], summary["Pass rate"])) == expect
    at.toggle(key="su_failed").set_value(True).run()
    assert set(at.dataframe[1].value["Status"]) <= {"fail", "error"}

    at.switch_page("views/finetune.py").run()
    tm = _rows(st, schema.train_metrics)
    last_train = tm[tm.split == "train"].sort_values("step")["loss"].iloc[-1]
    assert at.metric[0].value == f"{last_train:.3f}"

    at.switch_page("views/audit.py").run()
    import json

    report = json.loads((Path(st.run(out["audit_run"])["config"]["out"]) / "report.json").read_text())
    assert [m.label for m in at.metric] == ["Quality", "Diversity", "Real vs generated", "Amount"]
    assert [m.value for m in at.metric] == [
        report["verdicts"][a]["verdict"] for a in ("quality", "diversity", "real_vs_generated", "amount")
    ]
    text = page_text(at)
    assert f"Personal data found ({report['summary']['pii_findings']}, masked)" in text
    assert "010-****-5678" in text and "010-1234-5678" not in text  # masked, as curate reported it
    reasons = at.dataframe[0].value
    assert dict(zip(reasons["Reason"], reasons["Records"])) == report["quality"]["reasons"]
    # how sure each flag is, from the report's rules (issue 23): an empty answer by definition, truncated measured
    sure = dict(zip(reasons["Reason"], reasons["Precision (measured)"]))
    assert sure["empty_answer"] == "a defect by definition" and sure["truncated"] == "96%"
    at.selectbox(key="au_reason").set_value("truncated").run()
    assert any(c.value.startswith("Rule that fired: signal truncated: The answer stops") for c in at.caption)
    # the exact-duplicate pair, side by side from the audited file
    assert at.selectbox(key="au_cluster").options
    assert any("line 36" in (c.value or "") for c in at.caption)


def test_korean_from_browser_language_and_toggle(voted):
    st, out = voted
    at = app_as(out["admin_token"], lang="ko-KR")
    at.run()
    at.switch_page("views/leaderboard.py").run()
    assert at.title[0].value == "리더보드"
    assert "모델" in at.dataframe[0].value.columns
    # the toggle (AppTest keeps the sidebar only on the entry run, so switch there first)
    at2 = app_as(out["admin_token"], lang="ko-KR")
    at2.run()
    assert at2.sidebar.radio(key="lang_radio").label == "언어"
    at2.sidebar.radio(key="lang_radio").set_value("en").run()
    at2.switch_page("views/leaderboard.py").run()
    assert at2.title[0].value == "Leaderboard"


def test_language_from_accept_language():
    """(The catalogue's completeness: tests/apps/test_korean.py.)"""
    assert i18n.from_accept_language("ko-KR,ko;q=0.9,en-US;q=0.8") == "ko"
    assert i18n.from_accept_language("en-US,en;q=0.9,ko;q=0.8") == "en"
    assert i18n.from_accept_language("fr-FR, ko;q=0.5") == "ko"
    assert i18n.from_accept_language(None) == "en"


def test_page_queries_match_the_raw_rows(voted):
    st, out = voted
    raw = _rows(st, schema.battles)
    got = data.battles_frame(st)
    assert collections.Counter(map(tuple, got.to_numpy())) == collections.Counter(
        map(tuple, raw[["model_a", "model_b", "winner"]].to_numpy())
    )
    r = _rows(st, schema.ratings)
    j, h = r[r.rater == "judge:smollm2"], r[r.rater_kind == "human"]
    m = j.merge(h, on=["item_id", "session_id"], suffixes=("_j", "_h"))
    expect = pd.crosstab(m["verdict_j"], m["verdict_h"])
    cm = data.confusion_counts(st, judge="judge:smollm2")
    pd.testing.assert_frame_equal(
        cm.sort_index().sort_index(axis=1), expect.sort_index().sort_index(axis=1), check_names=False, check_dtype=False
    )
    pw = r[r.kind == "pairwise"]
    split = set(pw.groupby("item_id")["verdict"].nunique().loc[lambda s: s > 1].index)
    assert set(data.disagreements(st, limit=10_000)["item_id"]) == split


def test_admin_creates_a_session_and_invites_raters(voted):
    st, out = voted
    at = app_as(out["admin_token"])
    at.run()
    at.switch_page("views/admin.py").run()
    from evalkit import sessions

    before = len(sessions.sessions(st))
    at.number_input(key="ad_k").set_value(4)
    at.text_area(key="ad_names").input("Kim Minji")
    at.button(key="FormSubmitter:new_session-Create and invite").click().run()
    assert at.error[0].value.startswith("4 ratings per comparison need at least 4 raters; 1 invited")
    assert len(sessions.sessions(st)) == before  # nothing half-written
    at.text_input(key="ad_name").input("Thursday check")
    at.number_input(key="ad_k").set_value(2)
    at.text_area(key="ad_names").input("Kim Minji\nLee Junho\nPark Jiwoo")
    at.button(key="FormSubmitter:new_session-Create and invite").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    links = at.dataframe[0].value
    assert list(links["Name"]) == ["Kim Minji", "Lee Junho", "Park Jiwoo"]
    from evalkit import people

    ids = [people.login_token(st, link.split("token=")[1]).id for link in links["Personal link"]]
    assert len(set(ids)) == 3  # ids are the directory's, independent of the names
    sid = next(s["id"] for s in sessions.sessions(st) if s["name"] == "Thursday check")
    prog = sessions.rater_progress(st, sid)
    n_items = 10 * 3 - sessions.session_config(st, sid)["identical_skipped"]  # 10 cases x 3 model pairs
    assert sum(p["total"] for p in prog) == 2 * n_items and {p["done"] for p in prog} == {0}
    item = sessions.next_item(st, sid, ids[0])
    assert item["prompt"] and not item["prompt"].startswith("case-")  # the question, not the case id


def test_memory_plan_counts_the_runs_model(tiny_model_dir):
    """Without a recorded parameter count the page asks finetune.plan, which counts the model's parameters."""
    from transformers import AutoModelForCausalLM

    from finetune.plan import plan_memory

    plan = data.memory_plan({"config": {"model": str(tiny_model_dir), "max_length": 256, "batch_size": 4}})
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    n = sum(p.numel() for p in model.parameters())
    assert plan["params"] == n
    assert plan == plan_memory(
        n, seq_len=256, batch=4, hidden=model.config.hidden_size, layers=model.config.num_hidden_layers
    )
    assert data.memory_plan({"config": {"model": "/nonexistent/model"}}) is None


def test_every_page_renders_on_postgresql(pg_store, monkeypatch):
    from fixtures.seed_store import seed_store

    out = seed_store(pg_store, n_items=6, n_raters=3, k=2)
    monkeypatch.setenv("WORKBENCH_STORE", pg_store.url)
    at = app_as(out["admin_token"])
    at.run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])
    at.switch_page("views/leaderboard.py").run()
    assert sorted(at.dataframe[0].value["Model"]) == sorted(out["models"])
    assert len(data.disagreements(pg_store)) > 0


def test_audit_an_uploaded_file(store, monkeypatch):
    """The admin uploads a dataset on the audit page; curate audits it and the page shows the new audit."""
    from evalkit import people

    monkeypatch.setenv("WORKBENCH_STORE", store.url)
    _, token = people.create_user(store, "Admin", role="admin", user_id="admin")
    at = app_as(token)
    at.run()
    assert at.info[0].value.startswith("No audits yet")
    data_file = Path(__file__).resolve().parents[2] / "data" / "korean-instruct" / "ko_instruct.jsonl"
    at.get("file_uploader")[0].upload("ko_instruct.jsonl", data_file.read_bytes()).run()
    at.button(key="au_run").click().run(timeout=120)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Audit recorded; pick it below."
    runs = data.runs(store, "audit")
    assert list(runs["name"]) == ["ko_instruct.jsonl"] and list(runs["status"]) == ["done"]
    assert [m.label for m in at.metric] == ["Quality", "Diversity", "Real vs generated", "Amount"]


def test_audit_page_shows_paraphrase_clusters_side_by_side(store, monkeypatch, tmp_path):
    """An audit run with --semantic: its paraphrase clusters are listed with the MinHash ones, and the Korean
    rewording is shown beside its original, from the audited file."""
    import json

    from curate.pipeline import audit
    from evalkit import people

    rows = [
        ("How do I reset my password?", "Use the 'Forgot password' link."),
        ("What are the steps to change a forgotten password?", "Click 'Forgot password'."),
        ("How do I change my username?", "Open Settings > Profile."),
        ("비밀번호를 재설정하려면 어떻게 하나요?", "로그인 화면의 '비밀번호 찾기'를 누르세요."),
        ("잊어버린 비밀번호를 바꾸는 방법을 알려주세요", "'비밀번호 찾기'에서 안내를 따르세요."),
        ("아이디를 변경하려면 어떻게 하나요?", "설정 > 프로필에서 바꿀 수 있습니다."),
    ]
    train = tmp_path / "train.jsonl"
    train.write_text("".join(json.dumps({"question": q, "answer": a}, ensure_ascii=False) + "\n" for q, a in rows))
    monkeypatch.setenv("WORKBENCH_STORE", store.url)
    report = audit(str(train), out=str(tmp_path / "o"), store=store, semantic={"threshold": 0.91})
    assert report["summary"]["semantic_clusters"] == 2
    _, token = people.create_user(store, "Admin", role="admin", user_id="admin")
    at = app_as(token)
    at.run()
    at.switch_page("views/audit.py").run()
    assert not at.exception
    box = at.selectbox(key="au_cluster")
    assert box.options == ["paraphrase · 2 · 1, 2", "paraphrase · 2 · 4, 5"]  # the username questions in none
    box.set_value(1).run()
    shown = [t.value for t in at.text]
    assert shown[0].startswith("비밀번호를 재설정하려면") and shown[1].startswith("잊어버린 비밀번호를")
    assert {c.value for c in at.caption} >= {"line 4", "line 5"}
    cosine = report["semantic"]["largest"][1]["cosine"]
    assert f"cosine similarity {cosine:.3f} (a rewording: no word diff)" in {c.value for c in at.caption}
    assert not at.code  # no word diff of a rewording
