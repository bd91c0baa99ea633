"""Korean mode: the pages say the packages' sentences (agreement readings, the judge verdict, the compare verdict, audit
figures and fixes, the suites' assertion reasons) in Korean from the one catalogue instead of the packages' English, and every key has both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps import data, i18n
from evalkit import sessions
from tests.apps.conftest import app_as, page_text
from workbench.messages import template_fields

APPS = Path(__file__).resolve().parents[2] / "apps"
JUDGE = "judge:smollm2"


@pytest.fixture(scope="module")
def ko(voted):
    st, out = voted
    at = app_as(out["admin_token"], lang="ko-KR")
    at.run()
    assert not at.exception, at.exception
    return at, st, out


def _page(at, page: str) -> str:
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return page_text(at)


def _english_words(text: str, words: list[str]) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.I)]


def test_agreement_page_reads_the_report_in_korean(ko):
    at, st, out = ko
    text = _page(at, "views/agreement.py")
    sid = sessions.sessions(st)[0]["id"]
    report = data.agreement_data(st, session_id=sid, judge=JUDGE)  # what the page shows (same seed, same figures)
    assert report["interpretation"] and len(report["interpretation_keys"]) == len(report["interpretation"])
    for line, msg in zip(report["interpretation"], report["interpretation_keys"]):
        assert line not in text
        assert f"- {i18n.say(msg, 'ko')}" in [m.value for m in at.markdown]
    j = report["judge"]
    shown = [a.value for a in list(at.success) + list(at.warning)]
    assert shown == [i18n.say(j["verdict_key"], "ko")] and "심사 모델은 전문가" in shown[0]
    assert "크리펜도르프 알파" in text and "신뢰할 수 없습니다" in text  # alpha 0.16 on the seeded votes
    assert not _english_words(
        text, ["agrees", "experts", "reliable", "undefined", "conclusions", "intervals", "verdict", "complete design"]
    )
    for df in at.dataframe:  # no column keeps the package's JSON name
        assert not set(df.value.columns) & {"rater", "raters", "n_items", "percent_agreement", "cohen_kappa", "verdict"}


def test_agreement_sentences_render_to_the_packages_english(voted):
    """One source for the English: rendering the keys in English gives the CLI's lines, byte for byte."""
    st, out = voted
    report = data.agreement_data(st, session_id=sessions.sessions(st)[0]["id"], judge=JUDGE)
    assert [i18n.say(m, "en") for m in report["interpretation_keys"]] == report["interpretation"]
    assert i18n.say(report["judge"]["verdict_key"], "en") == report["judge"]["verdict"]
    assert i18n.say(None, "ko", "an older report's sentence") == "an older report's sentence"


def test_suites_compare_verdict_and_flips_in_korean(ko):
    at, st, out = ko
    text = _page(at, "views/suites.py")
    cmp = data.compare_data(st, at.selectbox(key="su_a").value, at.selectbox(key="su_b").value)
    verdict = [a.value for a in list(at.success) + list(at.warning)]
    assert verdict == [i18n.t("su.verdict", "ko", verdict=cmp["verdict_key"])]
    assert verdict[0] == "판정: " + i18n.PACKAGE_KO[cmp["verdict_key"]["key"]]
    assert cmp["verdict"] not in text
    assert not _english_words(text, ["regression", "significant", "Verdict", "pass → fail", "fail → pass"])
    flips = next(df.value for df in at.dataframe if "변화" in df.value.columns)
    assert set(flips["변화"]) == {"통과 → 실패", "실패 → 통과"}
    assert (flips["변화"] == "통과 → 실패").sum() == len(cmp["flips"]["pass_to_fail"])
    cases = at.dataframe[1].value
    assert set(cases["상태"]) <= {"통과", "실패", "오류"}


SUITE = """
name: ko-reasons
defaults: {max_new_tokens: 4, chat: false}
cases:
  - id: long
    input: Say hi.
    assert: [{type: length, min: 1000}]
  - id: city
    input: What is the capital of Mexico?
    assert: [{type: icontains, value: Mexico City}, {type: regex, value: "^NEVER-[0-9]+$"}]
  - id: json
    input: Return JSON.
    assert: [{type: is-json}, {type: number, value: 424242, tolerance: 0.5}]
"""


@pytest.fixture()
def graded(tmp_path, tiny_model_dir, monkeypatch):
    """A store with a real suite run on the tiny model (every case fails, so every reason shows) and one case stored
    the way results were before the reasons carried keys (English only)."""
    from evalkit import people
    from evalkit.suites import run_suites
    from workbench.store import open_store, schema

    st = open_store(tmp_path / "store.db")
    _, token = people.create_user(st, "Admin", role="admin", password="admin-pass", user_id="admin")
    (tmp_path / "ko.yaml").write_text(SUITE, encoding="utf-8")
    run = run_suites([tmp_path / "ko.yaml"], [str(tiny_model_dir)], store=st)["runs"][0]
    st.insert(
        schema.case_results,
        [
            dict(
                run_id=run["run_id"],
                suite="ko-reasons",
                case_id="older",
                model=run["model"],
                status="fail",
                score=0.0,
                output="Lyon",
                tags=[],
                latency_s=0.1,
                details={
                    "assertions": [
                        {
                            "type": "equals",
                            "passed": False,
                            "score": 0.0,
                            "weight": 1.0,
                            "reason": "expected 'Paris', got 'Lyon'",
                        }
                    ]
                },
            )
        ],
    )
    monkeypatch.setenv("WORKBENCH_STORE", st.url)
    yield st, token, run
    st.dispose()


def _why_column(at) -> dict[str, str]:
    df = next(df.value for df in at.dataframe if {"Failed assertions", "실패한 검사"} & set(df.value.columns))
    case, why = [c for c in df.columns if c in ("Case", "케이스", "Failed assertions", "실패한 검사")]
    return dict(zip(df[case], df[why]))


def test_suites_page_says_the_assertion_reasons_in_korean(graded):
    """The failed assertions' reasons come from the keys the runner stores beside them; a result stored before the
    keys keeps its English; in English the page shows what the runner wrote, byte for byte."""
    st, token, run = graded
    cases = data.case_table(st, run["run_id"]).set_index("case_id")
    at = app_as(token, lang="ko-KR")
    at.run()
    text = _page(at, "views/suites.py")
    why = _why_column(at)
    assert set(why) == {"long", "city", "json", "older"} and set(cases["status"]) == {"fail"}
    for cid in ("long", "city", "json"):
        rows = cases.loc[cid, "details"]["assertions"]
        assert all(r["reason_key"]["key"].startswith("assertions.") for r in rows)
        assert why[cid] == "; ".join(f"{r['type']}: {i18n.say(r['reason_key'], 'ko')}" for r in rows)
        for r in rows:
            assert r["reason"] not in text
        assert not _english_words(
            why[cid],
            [
                "missing",
                "found",
                "bounds",
                "chars",
                "no match",
                "not JSON",
                "expected",
                "got",
                "line",
                "column",
                "char",
                "Expecting",
            ],
        )
    assert why["long"].startswith("length: 글자 수 ") and why["long"].endswith(" (최소 1000)")
    assert why["city"].startswith("icontains: 없음 ['Mexico City']; regex: /^NEVER-[0-9]+$/ 일치 없음")
    assert why["json"].startswith("is-json: JSON 아님: ") and "number: " in why["json"]
    assert why["older"] == "equals: expected 'Paris', got 'Lyon'"  # stored before the keys: its English

    at.sidebar.radio(key="lang_radio").set_value("en").run()
    assert _why_column(at) == dict(cases["why"])  # English: the runner's sentences, as the page showed them before


def test_audit_page_in_korean(ko):
    """The axes, tables and captions are Korean. The audit's figures, rules and fixes are curate's sentences: Korean
    once the report carries their keys (figure_key, rule_key, fixes_keys), its English until then."""
    at, st, out = ko
    text = _page(at, "views/audit.py")
    report = data.audit_report(st, out["audit_run"])
    assert [m.label for m in at.metric] == ["품질", "다양성", "실제 대 생성", "양"]
    for m, axis in zip(at.metric, ("quality", "diversity", "real_vs_generated", "amount")):
        v = report["verdicts"][axis]
        assert m.value == i18n.t(f"au.verdict_{v['verdict']}", "ko")
        assert m.proto.delta == i18n.say(v.get("figure_key"), "ko", v["figure"])
        assert m.proto.help == i18n.say(v.get("rule_key"), "ko", v["rule"])
    fixes = [x.value for x in at.markdown if x.value.startswith("- ")]
    keys = report.get("fixes_keys") or [None] * len(report["fixes"])
    assert fixes == [f"- {i18n.say(k, 'ko', f)}" for f, k in zip(report["fixes"], keys)]
    if "fixes_keys" in report:
        assert not set(report["fixes"]) & set(fixes)
    pii = next(df.value for df in at.dataframe if "가림 처리" in df.value.columns)
    assert list(pii.columns) == ["줄", "필드", "종류", "가림 처리"]
    assert "Vendi 점수" in text and "클러스터 엔트로피" in text


def test_finetune_and_admin_pages_in_korean(ko):
    at, st, out = ko
    _page(at, "views/finetune.py")
    plan = at.dataframe[0].value
    assert list(plan["방법"]) == ["추론", "전체 미세조정", "LoRA", "QLoRA"]
    _page(at, "views/admin.py")
    at.text_area(key="ad_names").input("Kim Minji")
    at.button(key="FormSubmitter:new_session-만들고 초대하기").click().run()
    assert at.error[0].value == i18n.t("ad.too_few", "ko", k=2, n=1)
    at.text_area(key="ad_names").input("Kim Minji\nLee Junho")
    at.multiselect[0].set_value(out["models"][:1])
    at.button(key="FormSubmitter:new_session-만들고 초대하기").click().run()
    assert at.error[0].value == "쌍대 비교 세션에는 모델이 두 개 이상 필요합니다. 두 개 이상 고르세요."


def test_catalogue_has_both_languages_for_every_key_the_app_uses():
    app_keys, ko = set(i18n.MESSAGES), i18n.PACKAGE_KO
    for key, (en, ko_text) in i18n.MESSAGES.items():
        assert en.strip() and ko_text.strip(), key
        assert template_fields(en) == template_fields(ko_text), key
    from evalkit import agreement
    from evalkit.suites import assertions, compare

    for module in (agreement, compare, assertions):
        for key, en in module.MESSAGES.items():
            assert key in ko and ko[key].strip(), f"{key} has no Korean in apps/catalogue.yaml package_ko"
            assert template_fields(en) == template_fields(ko[key]), key
    assert not app_keys & set(ko)
    without_english = {k for k in ko if i18n.package_english(k) is None}
    import curate.pipeline

    if hasattr(curate.pipeline, "MESSAGES"):  # once curate keys its sentences, every Korean one has its English
        assert not without_english, without_english
        assert all(
            template_fields(curate.pipeline.MESSAGES[k]) == template_fields(ko[k]) for k in ko if k.startswith("audit.")
        )
    else:
        assert {k.split(".")[0] for k in without_english} <= {"audit"}
    # every literal key in the app's code is in the catalogue (a literal ending in "_" is a prefix for ui.labels)
    known = app_keys | set(ko)
    prefixes = "|".join(sorted({k.split(".")[0] for k in known}))
    used = {
        m
        for p in APPS.rglob("*.py")
        if p.name != "i18n.py"
        for m in re.findall(rf'"((?:{prefixes})\.[A-Za-z0-9_.]+)"', p.read_text(encoding="utf-8"))
    }
    unknown = {k for k in used if k not in known and not (k.endswith("_") and any(x.startswith(k) for x in known))}
    assert len(used) > 100 and not unknown, unknown
