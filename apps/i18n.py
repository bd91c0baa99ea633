"""The app's one message catalogue, English and Korean. `t(key, lang, **fields)`; the default language comes from the
browser's Accept-Language header.

Two parts: MESSAGES, the app's own labels (English, Korean); PACKAGE_KO, the Korean of the sentences the packages
write into their reports (agreement readings, the compare verdict, audit figures and fixes, the suites' assertion
reasons). Their English stays in the package (its `MESSAGES`, what the CLI prints); the report carries each as {"key",
"fields"} (workbench.messages), and `t` renders it in either language under the same key."""

from __future__ import annotations

import importlib

from workbench import verdicts
from workbench.messages import is_message

LANGUAGES = {"en": "English", "ko": "한국어"}
# what a page calls each pairwise verdict (workbench.verdicts): (English, Korean)
VERDICT_WORDS = {
    verdicts.A: ("A", "A"),
    verdicts.B: ("B", "B"),
    verdicts.TIE: ("tie", "비슷함"),
    verdicts.BOTHBAD: ("both bad", "둘 다 나쁨"),
}

# key: (English, Korean)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("workbench", "workbench"),
    "app.signed_in": ("Signed in as {name} ({role})", "{name} 님으로 로그인됨 ({role})"),
    "app.unavailable": (
        "This view needs `{what}`, which is not installed or not importable yet.",
        "이 화면에는 `{what}`이(가) 필요하지만 아직 설치되지 않았거나 불러올 수 없습니다.",
    ),
    "lang.label": ("Language", "언어"),
    "common.all": ("All", "전체"),
    "role.rater": ("rater", "평가자"),
    "role.admin": ("admin", "관리자"),
    # auth
    "auth.intro": (
        "Open your personal invite link, or sign in with your username and password.",
        "개인 초대 링크를 열거나 사용자 이름과 비밀번호로 로그인하세요.",
    ),
    "auth.username": ("Username", "사용자 이름"),
    "auth.password": ("Password", "비밀번호"),
    "auth.sign_in": ("Sign in", "로그인"),
    "auth.oidc_sign_in": ("Sign in with your organisation account", "조직 계정으로 로그인"),
    "auth.not_invited": (
        "Your account is not invited to this workbench. Ask an admin to add your e-mail address.",
        "이 workbench에 초대되지 않은 계정입니다. 관리자에게 이메일 주소 추가를 요청하세요.",
    ),
    "auth.sign_out": ("Sign out", "로그아웃"),
    "auth.forged": (
        "This link is not valid: the token is unknown. Check that you copied the whole link.",
        "유효하지 않은 링크입니다: 알 수 없는 토큰입니다. 링크 전체를 복사했는지 확인하세요.",
    ),
    "auth.expired": (
        "This link has expired. Ask the session's admin for a new one.",
        "링크가 만료되었습니다. 세션 관리자에게 새 링크를 요청하세요.",
    ),
    "auth.bad_password": ("Wrong username or password.", "사용자 이름 또는 비밀번호가 올바르지 않습니다."),
    "auth.forbidden": (
        "This page needs the admin role; your account is a rater account.",
        "이 페이지는 관리자 권한이 필요합니다. 현재 계정은 평가자 계정입니다.",
    ),
    "auth.login_required": ("Please sign in first.", "먼저 로그인하세요."),
    "auth.not_your_queue": ("You can only open your own rating queue.", "본인의 평가 목록만 열 수 있습니다."),
    "auth.ask_admin": (
        "Nothing was recorded. Your admin can issue a new personal link.",
        "아무것도 기록되지 않았습니다. 관리자가 새 개인 링크를 발급할 수 있습니다.",
    ),
    # navigation
    "nav.rate": ("Rating session", "평가 세션"),
    "nav.audit": ("Dataset audit", "데이터셋 점검"),
    "nav.suites": ("Suites", "테스트 스위트"),
    "nav.leaderboard": ("Leaderboard", "리더보드"),
    "nav.agreement": ("Judge agreement", "평가 일치도"),
    "nav.finetune": ("Fine-tune runs", "미세조정 실행"),
    "nav.admin": ("Sessions & raters", "세션 및 평가자"),
    # rating
    "rate.title": ("Rating session", "평가 세션"),
    "rate.no_assignments": ("You have no items to rate yet.", "아직 평가할 항목이 없습니다."),
    "rate.session": ("Session", "세션"),
    "rate.progress": ("{n} of {total}", "{total}개 중 {n}번째"),
    "rate.question": ("Question", "질문"),
    "rate.reference": ("Reference answer", "참고 답변"),
    "rate.answer_a": ("Answer A", "답변 A"),
    "rate.answer_b": ("Answer B", "답변 B"),
    "rate.answer": ("Answer", "답변"),
    "rate.rationale": ("Why? (optional)", "이유 (선택)"),
    "rate.a_better": ("A is better", "A가 더 좋음"),
    "rate.b_better": ("B is better", "B가 더 좋음"),
    "rate.tie": ("Tie", "비슷함"),
    "rate.both_bad": ("Both are bad", "둘 다 나쁨"),
    "rate.shortcuts": (
        "Keys: 1 = A better, 2 = B better, 3 = tie, 4 = both bad, Enter = next item.",
        "단축키: 1 = A가 더 좋음, 2 = B가 더 좋음, 3 = 비슷함, 4 = 둘 다 나쁨, Enter = 다음 항목",
    ),
    "rate.score": ("Score", "점수"),
    "rate.save_score": ("Save score", "점수 저장"),
    "rate.saved": ("Saved.", "저장되었습니다."),
    "rate.revealed": ("A was **{left}**, B was **{right}**.", "A는 **{left}**, B는 **{right}** 였습니다."),
    "rate.revealed_single": ("The answer came from **{model}**.", "이 답변은 **{model}** 의 답변이었습니다."),
    "rate.next": ("Next item", "다음 항목"),
    "rate.all_done": ("All {total} items rated. Thank you!", "{total}개 항목을 모두 평가했습니다. 감사합니다!"),
    "rate.already": (
        "You already rated this item; your first verdict stands.",
        "이미 평가한 항목입니다. 처음 평가가 유지됩니다.",
    ),
    # leaderboard
    "lb.title": ("Leaderboard", "리더보드"),
    "lb.suite": ("Suite", "스위트"),
    "lb.judge": ("Judge", "평가 주체"),
    "lb.judge_both": ("Humans and LLM", "사람과 LLM"),
    "lb.judge_human": ("Humans", "사람"),
    "lb.judge_llm": ("LLM judge", "LLM 심사"),
    "lb.method": ("Method", "방법"),
    "lb.method_bt": ("Bradley-Terry", "Bradley-Terry"),
    "lb.method_elo": ("Online Elo", "온라인 Elo"),
    "lb.empty": ("No battles recorded for this filter.", "이 조건에 해당하는 대결 기록이 없습니다."),
    "lb.model": ("Model", "모델"),
    "lb.rank": ("Rank", "순위"),
    "lb.rating": ("Rating", "레이팅"),
    "lb.ci_low": ("95% CI low", "95% 신뢰구간 하한"),
    "lb.ci_high": ("95% CI high", "95% 신뢰구간 상한"),
    "lb.battles": ("Battles", "대결 수"),
    "lb.caption": (
        "{n} battles · {method} · {rounds} bootstrap rounds · ranks overlap when intervals do",
        "대결 {n}건 · {method} · 부트스트랩 {rounds}회 · 신뢰구간이 겹치면 같은 순위",
    ),
    "lb.chart_title": ("Rating with 95% interval", "레이팅과 95% 신뢰구간"),
    "lb.opponent": ("Opponent", "상대"),
    "lb.winrate": ("Win rate (row beats column, ties half)", "승률 (행이 열을 이긴 비율, 무승부는 절반)"),
    "lb.counts": ("Battles per pair", "쌍별 대결 수"),
    "lb.disconnected": (
        "These groups of models never met, so they are rated separately: {groups}",
        "서로 대결한 적 없는 모델 그룹은 따로 평가됩니다: {groups}",
    ),
    # agreement
    "ag.title": ("Judge agreement", "평가 일치도"),
    "ag.empty": ("No rating sessions yet.", "아직 평가 세션이 없습니다."),
    "ag.session": ("Session", "세션"),
    "ag.judge": ("LLM judge", "LLM 심사"),
    "ag.no_judge": ("(humans only)", "(사람만)"),
    "ag.too_few": (
        "Agreement needs at least two raters on the same items.",
        "일치도를 계산하려면 같은 항목을 평가한 평가자가 두 명 이상 필요합니다.",
    ),
    "ag.caption": (
        "{ratings} ratings of {items} items by {raters} raters; 95% bootstrap intervals over items",
        "평가자 {raters}명이 항목 {items}개에 매긴 평가 {ratings}건; 항목 단위 95% 부트스트랩 신뢰구간",
    ),
    "ag.judge_vs_experts": ("Judge vs experts, beside expert vs expert", "심사 모델 대 전문가, 전문가 대 전문가"),
    "ag.all_raters": ("All raters", "전체 평가자"),
    "ag.figure": ("Figure", "지표"),
    "ag.value": ("Value", "값"),
    "ag.ci_low": ("CI low", "신뢰구간 하한"),
    "ag.ci_high": ("CI high", "신뢰구간 상한"),
    "ag.who": ("Between", "비교 대상"),
    "ag.judge_humans": ("judge – experts", "심사 – 전문가"),
    "ag.human_human": ("expert – expert", "전문가 – 전문가"),
    "ag.pairs": ("Every pair of raters", "모든 평가자 쌍"),
    "ag.confusion": ("Confusion matrix: judge verdict × expert verdict", "혼동 행렬: 심사 판정 × 전문가 판정"),
    "ag.human_verdict": ("Expert verdict", "전문가 판정"),
    "ag.judge_verdict": ("Judge verdict", "심사 판정"),
    "ag.disagreements": ("Disagreements", "의견 불일치"),
    "ag.no_disagreements": ("The raters agree on every item.", "모든 항목에서 평가가 일치합니다."),
    "ag.rater": ("Rater", "평가자"),
    "ag.rater_kind": ("Kind", "종류"),
    "ag.verdict": ("Verdict", "판정"),
    "ag.item": ("Item", "항목"),
    "ag.raters": ("Raters", "평가자"),
    "ag.n_items": ("Items", "항목 수"),
    "ag.kind_human": ("human", "사람"),
    "ag.kind_llm": ("LLM", "LLM"),
    **{f"ag.verdict_{v}": words for v, words in VERDICT_WORDS.items()},
    # suites
    "su.title": ("Suites", "테스트 스위트"),
    "su.empty": (
        "No suite runs yet: run `evalkit run SUITE.yaml --model M`.",
        "아직 스위트 실행 기록이 없습니다: `evalkit run SUITE.yaml --model M` 을 실행하세요.",
    ),
    "su.run": ("Run", "실행"),
    "su.when": ("When", "시각"),
    "su.suite": ("Suite", "스위트"),
    "su.cases": ("Cases", "케이스"),
    "su.passed": ("Passed", "통과"),
    "su.errors": ("Errors", "오류"),
    "su.pass_rate": ("Pass rate", "통과율"),
    "su.one_run": ("One run", "실행 하나"),
    "su.compare": ("Compare two runs", "두 실행 비교"),
    "su.by_tag": ("Pass rate per tag", "태그별 통과율"),
    "su.failed_only": ("Only failed cases", "실패한 케이스만"),
    "su.case": ("Case", "케이스"),
    "su.status": ("Status", "상태"),
    "su.score": ("Score", "점수"),
    "su.why": ("Failed assertions", "실패한 검사"),
    "su.output": ("Output", "출력"),
    "su.run_a": ("Before (A)", "이전 (A)"),
    "su.run_b": ("After (B)", "이후 (B)"),
    "su.pick_two": ("Pick two different runs.", "서로 다른 두 실행을 고르세요."),
    "su.ci": ("95% CI of the change", "변화량 95% 신뢰구간"),
    "su.mcnemar_p": ("McNemar p", "McNemar p값"),
    "su.verdict": ("Verdict: {verdict}", "판정: {verdict}"),
    "su.change": ("Change", "변화"),
    "su.critical": ("Critical", "중요"),
    "su.flips": ("Cases that changed", "결과가 바뀐 케이스"),
    "su.pass_to_fail": ("pass → fail", "통과 → 실패"),
    "su.fail_to_pass": ("fail → pass", "실패 → 통과"),
    "su.pass_rate_a": ("Pass rate A", "통과율 A"),
    "su.pass_rate_b": ("Pass rate B", "통과율 B"),
    "su.status_pass": ("pass", "통과"),
    "su.status_fail": ("fail", "실패"),
    "su.status_error": ("error", "오류"),
    "su.compare_failed": ("These two runs can't be compared: {error}", "두 실행을 비교할 수 없습니다: {error}"),
    # fine-tune
    "ft.title": ("Fine-tune runs", "미세조정 실행"),
    "ft.empty": (
        "No fine-tune runs yet: `finetune train config.yaml`.",
        "아직 미세조정 실행이 없습니다: `finetune train config.yaml`.",
    ),
    "ft.run": ("Run", "실행"),
    "ft.no_metrics": ("This run recorded no metrics yet.", "이 실행에는 아직 기록된 지표가 없습니다."),
    "ft.train_loss": ("Last train loss", "마지막 학습 손실"),
    "ft.eval_loss": ("Last eval loss", "마지막 검증 손실"),
    "ft.steps": ("Steps", "스텝"),
    "ft.step": ("Step", "스텝"),
    "ft.loss": ("Loss", "손실"),
    "ft.config": ("Config", "설정"),
    "ft.plan": ("Memory plan", "메모리 계획"),
    "ft.method": ("Method", "방법"),
    "ft.memory": ("GPU memory", "GPU 메모리"),
    "ft.fits": ("Fits", "가능"),
    "ft.plan_caption": (
        "{params} parameters; estimate from finetune.plan (weights, gradients, optimizer, activations)",
        "파라미터 {params}개; finetune.plan 추정치 (가중치, 기울기, 옵티마이저, 활성값)",
    ),
    "ft.no_plan": ("No memory plan recorded for this run.", "이 실행에는 메모리 계획이 기록되지 않았습니다."),
    "ft.plan_failed": (
        "No memory plan for this run's config: {error}",
        "이 실행의 설정으로는 메모리 계획을 세울 수 없습니다: {error}",
    ),
    "ft.method_inference": ("inference", "추론"),
    "ft.method_full": ("full", "전체 미세조정"),
    "ft.method_lora": ("lora", "LoRA"),
    "ft.method_qlora": ("qlora", "QLoRA"),
    # audit
    "au.title": ("Dataset audit", "데이터셋 점검"),
    "au.upload": ("Audit a file", "파일 점검하기"),
    "au.file": ("Dataset file", "데이터셋 파일"),
    "au.run": ("Run the audit", "점검 실행"),
    "au.running": ("Auditing…", "점검 중…"),
    "au.done": ("Audit recorded; pick it below.", "점검이 기록되었습니다. 아래에서 선택하세요."),
    "au.empty": (
        "No audits yet: `curate audit FILE` or upload a file above.",
        "아직 점검 기록이 없습니다: `curate audit FILE` 을 실행하거나 위에서 파일을 올리세요.",
    ),
    "au.pick": ("Audit", "점검"),
    "au.summary_only": (
        "The audit's output folder is gone; showing the summary recorded in the store.",
        "점검 출력 폴더가 없어 저장소에 기록된 요약만 표시합니다.",
    ),
    "au.verdict_good": ("good", "좋음"),
    "au.verdict_fair": ("fair", "보통"),
    "au.verdict_poor": ("poor", "나쁨"),
    "au.verdict_none": ("—", "—"),
    "au.verdict_n/a": ("n/a", "해당 없음"),
    "au.headline": (
        "{records} records · {flagged} flagged · {pii} PII findings · {tokens} tokens",
        "레코드 {records}개 · 문제 {flagged}개 · 개인정보 {pii}건 · 토큰 {tokens}개",
    ),
    "au.col_answer_chars": ("Answer length (characters)", "답변 길이 (글자)"),
    "au.exact": ("exact", "완전 중복"),
    "au.near": ("near", "유사 중복"),
    "au.line": ("line {n}", "{n}번째 줄"),
    "au.lines": (
        "Lines {lines} (the audited file is no longer at its recorded path).",
        "{lines}번째 줄 (점검한 파일이 기록된 위치에 없습니다).",
    ),
    "au.contamination_none": (
        "Contamination: not checked (audit without --test)",
        "오염 검사: 하지 않음 (--test 없이 점검)",
    ),
    "au.quality": ("Quality", "품질"),
    "au.diversity": ("Diversity", "다양성"),
    "au.real_vs_generated": ("Real vs generated", "실제 대 생성"),
    "au.amount": ("Amount", "양"),
    "au.histograms": ("Distributions", "분포"),
    "au.col_chars": ("Characters", "글자 수"),
    "au.col_tokens": ("Tokens", "토큰 수"),
    "au.col_perplexity": ("Perplexity", "퍼플렉서티"),
    "au.reasons": ("Reason codes", "사유 코드"),
    "au.reason": ("Reason", "사유"),
    "au.count": ("Records", "레코드 수"),
    "au.examples_for": ("Examples for", "예시 보기"),
    "au.clusters": ("Duplicate clusters ({n})", "중복 클러스터 ({n}개)"),
    "au.cluster": ("Cluster", "클러스터"),
    "au.identical": ("(identical)", "(동일)"),
    "au.map": ("Diversity map", "다양성 지도"),
    "au.div_distinct_1": ("distinct-1", "distinct-1"),
    "au.div_distinct_2": ("distinct-2", "distinct-2"),
    "au.div_vendi": ("Vendi score", "Vendi 점수"),
    "au.div_cluster_entropy": ("cluster entropy", "클러스터 엔트로피"),
    "au.div_coverage": ("coverage", "포괄 범위"),
    "au.pii": ("Personal data found ({n}, masked)", "개인정보 발견 ({n}건, 가림 처리)"),
    "au.contamination": ("Test items also in the training data ({n})", "학습 데이터에도 있는 테스트 항목 ({n}건)"),
    "au.failed": ("The audit stopped: {error}", "점검이 중단되었습니다: {error}"),
    "au.col_line": ("Line", "줄"),
    "au.col_field": ("Field", "필드"),
    "au.col_kind": ("Kind", "종류"),
    "au.col_masked": ("Masked", "가림 처리"),
    "au.col_test_id": ("Test item", "테스트 항목"),
    "au.col_train_index": ("Training record", "학습 레코드"),
    "au.col_method": ("Method", "방법"),
    "au.col_overlap": ("Overlap", "겹침"),
    # admin
    "ad.title": ("Sessions & raters", "세션 및 평가자"),
    "ad.new_session": ("New rating session", "새 평가 세션"),
    "ad.name": ("Name", "이름"),
    "ad.models": ("Models", "모델"),
    "ad.mode": ("Mode", "방식"),
    "ad.mode_pairwise": ("Pairwise A/B", "쌍대 비교 A/B"),
    "ad.mode_single": ("Single-answer rubric", "단일 답변 채점"),
    "ad.k": ("Raters per item (k)", "항목당 평가자 수 (k)"),
    "ad.max_items": ("Items at most", "최대 항목 수"),
    "ad.rubric": ("Rubric (shown to raters)", "채점 기준 (평가자에게 표시)"),
    "ad.raters": ("Invite raters (one name per line)", "평가자 초대 (한 줄에 한 명)"),
    "ad.create": ("Create and invite", "만들고 초대하기"),
    "ad.too_few": (
        "{k} ratings per item need at least {k} raters; {n} invited. Add names or lower k.",
        "항목당 평가 {k}개에는 평가자가 {k}명 이상 필요합니다 (초대 {n}명). 이름을 추가하거나 k를 낮추세요.",
    ),
    "ad.created": (
        "Session created with {n} items for {raters} raters.",
        "항목 {n}개, 평가자 {raters}명으로 세션을 만들었습니다.",
    ),
    "ad.links_once": (
        "Send each rater their link now: links are shown once and only their hash is stored.",
        "지금 각 평가자에게 링크를 보내세요. 링크는 한 번만 표시되며 해시만 저장됩니다.",
    ),
    "ad.two_models": (
        "A pairwise session needs at least two models; pick two or more.",
        "쌍대 비교 세션에는 모델이 두 개 이상 필요합니다. 두 개 이상 고르세요.",
    ),
    "ad.no_items": (
        "These models have no outputs in common on this suite; pick a suite run that has them.",
        "이 스위트에는 선택한 모델들의 출력이 함께 있는 케이스가 없습니다. 출력이 있는 스위트 실행을 고르세요.",
    ),
    "ad.link": ("Personal link", "개인 링크"),
    "ad.duplicate_rater": (
        "A rater with that name already exists; use a different name or a new link below.",
        "같은 이름의 평가자가 이미 있습니다. 다른 이름을 쓰거나 아래에서 새 링크를 발급하세요.",
    ),
    "ad.new_link": ("New personal link", "새 개인 링크"),
    "ad.person": ("Person", "사용자"),
    "ad.issue": ("Issue a new link (the old one stops working)", "새 링크 발급 (이전 링크는 무효)"),
    "ad.progress": ("Progress", "진행 상황"),
    "ad.total": ("Items", "항목"),
    "ad.done": ("Rated", "평가 완료"),
}


# Korean for the packages' sentences, keyed as the package keys them (the English is the package's MESSAGES).
_FIGURES_KO = {
    "percent_agreement": "일치율",
    "percent_agreement_without_ties": "무승부 제외 일치율",
    "cohen_kappa": "코헨 카파",
    "weighted_kappa": "이차 가중 카파",
    "weighted_kappa_linear": "선형 가중 카파",
    "fleiss_kappa": "플라이스 카파",
    "krippendorff_alpha": "크리펜도르프 알파",
    "spearman": "스피어만 순위상관",
    "kendall": "켄달 순위상관",
    "position_consistency": "위치 일관성",
    "verbosity_preference": "긴 답변 선호도",
}
PACKAGE_KO: dict[str, str] = {
    # evalkit.agreement
    **{f"agreement.figure.{k}": v for k, v in _FIGURES_KO.items()},
    **{f"agreement.id.{k}": v for k, v in _FIGURES_KO.items()},
    "agreement.band.poor": "일치하지 않음",
    "agreement.band.slight": "약간 일치",
    "agreement.band.fair": "어느 정도 일치",
    "agreement.band.moderate": "중간 정도 일치",
    "agreement.band.substantial": "상당히 일치",
    "agreement.band.almost_perfect": "거의 완벽하게 일치",
    "agreement.alpha_reliable": "크리펜도르프 알파 {alpha:.3f} ≥ {threshold}: 신뢰할 수 있습니다",
    "agreement.alpha_tentative": "크리펜도르프 알파 {alpha:.3f} ≥ {threshold}: 잠정적인 결론에만 쓸 수 있습니다",
    "agreement.alpha_unreliable": "크리펜도르프 알파 {alpha:.3f} < {threshold}: 신뢰할 수 없습니다. 이 평가로 결론을 "
    "내리지 마세요",
    "agreement.kappa_reading": "{band} (Landis & Koch 기준)",
    "agreement.kappa_line": "{figure} {value:.3f}: {reading}",
    "agreement.undefined_line": "{name}: 정의되지 않음 — {reason}",
    "agreement.position": "위치 일관성 {pc:.3f} (1.0 = 두 순서에서 같은 판정)",
    "agreement.position_bias": "{position}: 답변의 위치를 바꾸면 항목의 {changed:.0%}에서 심사 모델의 판정이 "
    "바뀝니다 (위치 편향). 이 판정은 답변의 내용보다 순서를 더 많이 반영합니다",
    "agreement.verbosity": "승패가 갈린 판정의 {share:.0%}에서 더 긴 답변이 이겼습니다 (50% = 길이 선호 없음)",
    "agreement.judge_figures": "일치율 심사–전문가 {j:.2f} [{j_low:.2f}, {j_high:.2f}], 전문가–전문가 {h:.2f} "
    "[{h_low:.2f}, {h_high:.2f}]",
    "agreement.judge_as_often": "심사 모델은 전문가끼리 일치하는 만큼 전문가와 일치합니다 ({figures}; 신뢰구간이 "
    "겹칩니다)",
    "agreement.judge_less_often": "심사 모델은 전문가끼리 일치하는 것보다 전문가와 덜 일치합니다 ({figures})",
    "agreement.judge_more_often": "심사 모델은 전문가끼리 일치하는 것보다 전문가와 더 자주 일치합니다 ({figures})",
    "agreement.judge_not_enough": "짝을 이루는 평가가 부족해 심사 모델을 전문가 간 일치도와 비교할 수 없습니다",
    "agreement.undef.default": "이 평가로는 {name}을(를) 정의할 수 없습니다",
    "agreement.undef.identical": "모든 평가가 같은 값이라 우연 일치 확률이 1이 되어 {name}을(를) 정의할 수 없습니다 "
    "(0/0)",
    "agreement.undef.no_common_items": "두 평가자가 함께 평가한 항목이 없습니다",
    "agreement.undef.single_value_kappa": "평가자마다 한 가지 값만 주어 우연 일치 확률이 1이 되므로 코헨 카파를 정의할 "
    "수 없습니다",
    "agreement.undef.single_value_weighted": "평가자마다 한 가지 값만 주어 가중 카파를 정의할 수 없습니다",
    "agreement.undef.constant_scores": "한 평가자가 모든 항목에 같은 점수를 주어 {name}을(를) 정의할 수 없습니다",
    "agreement.undef.one_rater": "평가자가 한 명뿐입니다 ({rater}). 일치도를 계산하려면 평가자가 두 명 이상 필요합니다",
    "agreement.undef.no_pairs": "두 평가자가 함께 평가한 항목이 없습니다",
    "agreement.undef.all_ties": "모든 평가 쌍에 무승부가 들어 있습니다",
    "agreement.undef.no_item_twice": "두 번 이상 평가된 항목이 없습니다",
    "agreement.undef.incomplete_design": "완전 설계가 아닙니다 (모든 항목을 평가하지 않은 평가자가 있습니다). 누락된 "
    "평가를 허용하는 크리펜도르프 알파를 보세요",
    "agreement.undef.no_swapped": "두 순서 모두에서 판정이 나온 평가가 없습니다",
    "agreement.undef.no_decisive_length": "길이가 다른 두 답변 사이에서 승패가 갈린 판정이 없습니다",
    "agreement.undef.judge_no_common": "심사 모델과 전문가가 함께 평가한 항목이 없습니다",
    "agreement.undef.few_humans": "전문가 두 명 이상이 평가한 항목이 없습니다",
    "agreement.undef.judge_all_ties": "모든 심사–전문가 쌍에 무승부가 들어 있습니다",
    "agreement.undef.human_all_ties": "모든 전문가–전문가 쌍에 무승부가 들어 있습니다",
    # evalkit.suites.compare
    "compare.verdict.critical_regression": "중요 케이스 회귀",
    "compare.verdict.significant_drop": "유의한 하락",
    "compare.verdict.significant_gain": "유의한 향상",
    "compare.verdict.no_significant_change": "유의한 변화 없음",
    # evalkit.suites.assertions (each assertion's reason, stored as "reason_key" beside "reason"); terse, for a table cell
    "assertions.equals": "기댓값 {want!r}, 실제 {got!r}",
    "assertions.found": "찾음 {found}",
    "assertions.missing": "없음 {missing}",
    "assertions.missing_any": "하나도 없음 {wanted}",
    "assertions.starts_with": "시작 부분 {start!r}",
    "assertions.matched": "일치 {match!r}",
    "assertions.no_match": "/{pattern}/ 일치 없음",
    "assertions.valid_json": "올바른 JSON",
    "assertions.not_json": "JSON 아님: {error}",
    "assertions.json.at": "{line}번째 줄 {column}번째 열 (위치 {char}): {problem}",
    "assertions.json.expecting_value": "값이 와야 함",
    "assertions.json.extra_data": "뒤에 남는 데이터가 있음",
    "assertions.json.property_name": "큰따옴표로 감싼 속성 이름이 와야 함",
    "assertions.json.comma": "',' 구분자가 와야 함",
    "assertions.json.colon": "':' 구분자가 와야 함",
    "assertions.json.unterminated": "여기서 시작한 문자열이 닫히지 않음",
    "assertions.json.control": "잘못된 제어 문자",
    "assertions.json.escape": "잘못된 \\ 이스케이프",
    "assertions.json.unicode_escape": "잘못된 \\uXXXX 이스케이프",
    "assertions.schema_ok": "스키마와 일치",
    "assertions.schema_error": "{path}: {error}",
    "assertions.schema.root": "(최상위)",
    "assertions.schema.required": "필수 속성 {name} 없음",
    "assertions.schema.type": "{instance}은(는) {types} 타입이 아님",
    "assertions.schema.enum": "{instance}은(는) {options} 중 하나가 아님",
    "assertions.schema.minimum": "{instance}은(는) 최솟값 {limit}보다 작음",
    "assertions.schema.maximum": "{instance}은(는) 최댓값 {limit}보다 큼",
    "assertions.schema.const": "{expected} 값이어야 함",
    "assertions.schema.pattern": "{instance}은(는) 패턴 {pattern}과(와) 맞지 않음",
    "assertions.schema.additional_one": "허용되지 않는 추가 속성 {names}",
    "assertions.schema.additional_many": "허용되지 않는 추가 속성 {names}",
    "assertions.no_number": "출력에 숫자 없음",
    "assertions.number": "실제 {got:g}, 기댓값 {want:g}",
    "assertions.number_tolerance": "실제 {got:g}, 기댓값 {want:g} ± {tolerance:g}",
    "assertions.similar": "유사도 {score:.2f} ({method}, 기준 {threshold:g})",
    "assertions.length": "{unit} {n} (범위 {min}..{max})",
    "assertions.length_no_min": "{unit} {n} (최대 {max})",
    "assertions.length_no_max": "{unit} {n} (최소 {min})",
    "assertions.length_no_bounds": "{unit} {n} (범위 없음)",
    "assertions.unit.chars": "글자 수",
    "assertions.unit.words": "단어 수",
    "assertions.latency": "{seconds:.2f}초 (제한 {limit:g}초)",
    "assertions.choice": "선택 {picked} ({choice!r}), 정답 {gold}",
    "assertions.judge_unparsed": "심사 모델의 응답을 해석할 수 없음: {reply!r}",
    "assertions.judge_verdict": "심사: {verdict}",
    "assertions.verdict.pass": "통과",
    "assertions.verdict.fail": "실패",
    "assertions.judge_score": "심사 점수 {score:g} (기준 {threshold:g})",
    "assertions.python_returned": "python 반환값 {result}",
    "assertions.python_score": "python 반환값 {score:g}",
    "assertions.python_reason": "{reason}",
    "assertions.not": "부정: {reason}",
    # curate.pipeline (verdicts' figure_key / rule_key, report["fixes_keys"]); the app shows the English until the
    # report carries these keys
    "audit.figure.quality": "레코드의 {share:.1%}에 문제 표시",
    "audit.figure.diversity": "중복 {duplicates:.1%}, distinct-2 {distinct_2:.2f}, 클러스터 엔트로피 {entropy:.2f}",
    "audit.figure.diversity_no_entropy": "중복 {duplicates:.1%}, distinct-2 {distinct_2:.2f}, 클러스터 엔트로피 없음",
    "audit.figure.real_vs_generated": "레코드의 {share:.1%}가 생성된 것으로 보임",
    "audit.figure.amount": "사용 가능한 레코드 {usable:,}개, 토큰 {tokens:,}개",
    "audit.rule.quality": "좋음 ≤ 2 %, 보통 ≤ 10 %",
    "audit.rule.diversity": "중복 ≤ 2 %, distinct-2 ≥ 0.3, 정규화한 클러스터 엔트로피 ≥ 0.8",
    "audit.rule.real_vs_generated": "좋음 ≤ 1 %, 보통 ≤ 5 %",
    "audit.rule.amount": "좋음: 사용 가능한 레코드 1,000개 이상, 보통: 200개 이상",
    "audit.fix.exact_pairs": "완전 중복 쌍 {n}개를 제거하세요",
    "audit.fix.shared_answer": "서로 다른 질문에 같은 답변이 달린 레코드 {n}개를 검토하세요",
    "audit.fix.conflicting": "같은 질문에 다른 답변이 달린 레코드 {n}개를 정리하세요",
    "audit.fix.near_duplicates": "클러스터 {clusters}개에 있는 유사 중복 레코드 {n}개를 정리하세요",
    "audit.fix.contamination": "테스트 항목 {n}개와 겹치는 학습 레코드를 제거하세요 (오염)",
    "audit.fix.pii": "레코드 {n}개의 개인정보를 가리세요",
    "audit.fix.reason": "사유 {reason}에 해당하는 레코드 {n}개를 고치거나 빼세요",
}
# Where each package key's English lives (imported on first use).
PACKAGES = {
    "agreement.": "evalkit.agreement",
    "compare.": "evalkit.suites.compare",
    "audit.": "curate.pipeline",
    "assertions.": "evalkit.suites.assertions",
}


def package_english(key: str) -> str | None:
    """The English template of a package key, from the package's MESSAGES (None: the package doesn't have it)."""
    for prefix, module in PACKAGES.items():
        if key.startswith(prefix):
            return getattr(importlib.import_module(module), "MESSAGES", {}).get(key)
    return None


def from_accept_language(header: str | None) -> str:
    """The first supported language in an Accept-Language header (RFC 9110 §12.5.4, by q-value), else English."""
    best, best_q = "en", -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def t(key: str, lang: str = "en", **fields) -> str:
    """The text of an app key or a package key in `lang`; a field that is a message is said in `lang` too."""
    if key in MESSAGES:
        en, ko = MESSAGES[key]
        text = ko if lang == "ko" else en
    else:
        text = (lang == "ko" and PACKAGE_KO.get(key)) or package_english(key)
        if text is None:
            raise KeyError(f"no message {key!r} in the app's catalogue or its package")
    fields = {k: say(v, lang) if is_message(v) else v for k, v in fields.items()}
    return text.format(**fields) if fields else text


def say(msg: dict | None, lang: str = "en", english: str = "") -> str:
    """A package's message ({"key", "fields"}) in `lang`; `english` (the package's sentence) when there is none."""
    return t(msg["key"], lang, **msg["fields"]) if is_message(msg) else english
