"""Every signal and reason code against hand-checked records, the empty record, Korean rules, the registry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from curate.signals import (
    REGISTRY,
    Record,
    build_signals,
    default_signals,
    dominant_script,
    ends_sentence,
    evaluate,
    language,
    signal_config,
    template_uniformity,
)
from curate.signals.quality import WebTextRule

REPO = Path(__file__).resolve().parents[2]
LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua."
)
PROSE = (
    "The beast attack class controls when the beast attacks the player and how strong the attack is. It reads "
    "the strength field, plays the attack sound and pushes the player back with a force that depends on the "
    "distance between them, so the player has a chance to escape before the next attack comes."
)


def _words(n: int, word: str = "alpha") -> str:
    return " ".join(f"{word}{i}" for i in range(n))


# (signal spec, prompt, answer, expected reason). Each answer was checked by hand to carry exactly that fault.
CASES = [
    ("empty_field", "What is X?", "   \n ", "empty_answer"),
    ("empty_field", "", "An answer.", "empty_question"),
    (
        "answer_repeats_question",
        "What does the OnEnable method do?",
        "What does the OnEnable method do?",
        "answer_repeats_question",
    ),
    (
        "answer_repeats_question",
        "How do I reset my password in the portal?",
        "how do I reset my password in the portal",
        "answer_repeats_question",
    ),
    ("truncated", "Q?", "The method checks whether the player is inside the collider and then calls the", "truncated"),
    ("truncated", "Q?", "It stores the audio clip,", "truncated"),
    ("truncated", "Q?", "옷을 돌돌 말아서 넣고, 세면도구는 작은 용기에 나눠 담은 뒤 투명한 지퍼백에", "truncated"),
    (
        "truncated",
        "Q?",
        "when the beast is out and the player brings the power back on the beast will escape to "
        "its hiding place and wait there until",
        "truncated",
    ),
    ("html_remnant", "Q?", "Press the button.<br>Then wait.", "html_remnant"),
    ("html_remnant", "Q?", "Use the settings&nbsp;page.", "html_remnant"),
    ("html_remnant", "What is <p>this</p>?", "A paragraph.", "html_remnant"),
    ("template_token", "Q?", "The answer is 42.<|im_end|>", "template_token"),
    ("template_token", "[INST] Say hi [/INST]", "Hi.", "template_token"),
    # shown, not leaked (benchmarks/precision: course_en:1616, ollama_docs:2375): code and quoted token lists are the subject
    ("template_token", "Q?", 'trainer = BpeTrainer(special_tokens=["<|endoftext|>"])', None),
    (
        "template_token",
        "Q?",
        "ChatML:\n\n```go\n{{ range .Messages }}<|im_start|>{{ .Role }}<|im_end|>{{ end }}\n```",
        None,
    ),
    ("template_token", "Q?", "The only special token is `<|endoftext|>`.", None),
    ("mojibake", "Q?", "The cafÃ© is open until 9.", "mojibake"),
    ("mojibake", "Q?", "Broken \ufffd character here.", "mojibake"),
    ("placeholder", "Q?", LOREM, "placeholder"),
    ("placeholder", "Q?", "TODO", "placeholder"),
    ("placeholder", "Q?", "Contact [insert name here] for details.", "placeholder"),
    ("placeholder", "Q?", "N/A", "placeholder"),
    ("placeholder", "Q?", "Congratulations on the story. Yours truly, [Your Author Name]", "placeholder"),
    ("placeholder", "Q?", "Rewards.\n\n<!-- # TODO: update links when PR is merged -->", "placeholder"),
    # Go templates in code and a link text are not placeholders (benchmarks/precision: ollama_docs:2377, peft_docs:2424)
    ("placeholder", "Q?", "Template:\n\n```go\n{{ if .System }}{{ .System }}{{ end }}[INST] lorem\n```", None),
    ("placeholder", "Q?", "[Answer.AI](https://www.answer.ai/) in collaboration with bitsandbytes [and others].", None),
    ("placeholder", "질문?", "답변 준비 중입니다.", "placeholder"),
    ("url_only", "Q?", "https://example.com/docs/page", "url_only"),
    ("url_only", "Q?", "See: https://a.example.com, https://b.example.com", None),
    ("symbol_soup", "Q?", "!!! ??? ### @@@ $$$ %%%", "symbol_soup"),
    ({"gopher_quality": {"min_words": 5}}, "Q?", "Too short.", "too_few_words"),
    ({"gopher_quality": {"max_words": 10}}, "Q?", _words(11), "too_many_words"),
    ("gopher_quality", "Q?", "a b c d e f g h i j k l", "avg_word_length_low"),
    ("gopher_quality", "Q?", " ".join(["extraordinarily"] * 6 + ["incomprehensibilities"] * 6), "avg_word_length_high"),
    ("gopher_quality", "Q?", "#one #two #three #four words here and more words to count now", "symbol_word_ratio"),
    ({"gopher_quality": {"max_bullet_lines_ratio": 0.9}}, "Q?", "- one\n- two\n- three", "bullet_lines"),
    ("gopher_quality", "Q?", "It starts here...\nand goes on...\nthen stops.", "ellipsis_lines"),
    ("gopher_quality", "Q?", "123 345 567 789 901 112 223 334 445 556 words", "non_alpha_words"),
    ("gopher_quality", "Q?", _words(60, "zeta"), "few_stop_words"),
    ("gopher_repetition", "Q?", "same line\nsame line\nsame line\nother line", "dup_line_ratio"),
    (
        "gopher_repetition",
        "Q?",
        "Para one is here.\n\nPara one is here.\n\nPara one is here.\n\nA different one.",
        "dup_para_ratio",
    ),
    (
        {"gopher_repetition": {"dup_line_frac": None}},
        "Q?",
        "a long repeated line of text here\na long repeated line of text here\nshort\nend",
        "dup_line_char_ratio",
    ),
    (
        {"gopher_repetition": {"dup_para_frac": None}},
        "Q?",
        "a long repeated paragraph of text\n\na long repeated paragraph of text\n\nshort\n\nend",
        "dup_para_char_ratio",
    ),
    ("gopher_repetition", "Q?", " ".join(["the beast"] * 30) + " " + _words(10), "top_ngram_ratio"),
    ({"gopher_repetition": {"top_n_grams": []}}, "Q?", " ".join(_words(10).split() * 6), "dup_ngram_ratio"),
    ("c4", "Q?", "Please enable JavaScript to view this page.", "javascript_notice"),
    ("c4", "Q?", "By using this site you accept our privacy policy and terms of use.", "policy_boilerplate"),
    ({"c4": {"max_word_length": 20}}, "Q?", "This has a " + "x" * 25 + " word.", "word_too_long"),
    ({"c4": {"filter_curly_bracket": True}}, "Q?", "Use if (x) { y(); }", "curly_bracket"),
    ({"c4": {"min_num_sentences": 3}}, "Q?", "One sentence. Two sentences.", "too_few_sentences"),
    (
        "fineweb",
        "Q?",
        "\n".join(
            ["a line without an end mark here that is long enough"] * 2
            + ["another line without punctuation that goes on and on"] * 2
            + ["a fifth line with no end mark at all in sight here"]
        ),
        "line_punct_ratio",
    ),
    (
        "fineweb",
        "Q?",
        "Short one.\nShort two.\nShort three.\nShort four.\nA much longer fifth line that ends well.",
        "short_line_ratio",
    ),
    (
        "fineweb",
        "Q?",
        "\n".join(
            ["This line is repeated exactly once more below it."] * 2
            + [f"Distinct line number {i} of this answer, long enough to count." for i in range(3)]
        ),
        "char_dup_ratio",
    ),
    ({"fineweb": {"short_line_thr": None}}, "Q?", "\n".join(f"Item {i}." for i in range(8)), "list_ratio"),
    ("boilerplate", "Q?", "Open the app. All rights reserved.", "boilerplate"),
    ("boilerplate", "질문?", "설정에서 변경하세요. 무단 전재 및 재배포 금지", "boilerplate"),
    ("llm_boilerplate", "Q?", "As an AI language model, I do not have opinions.", "llm_self_reference"),
    ("llm_boilerplate", "Q?", "I'm sorry, but I can't help with that request.", "llm_refusal"),
    ("llm_boilerplate", "Q?", "As of my last update in 2023, the API was stable.", "knowledge_cutoff"),
    ("llm_boilerplate", "Q?", "Restart the router. I hope this helps!", "llm_filler"),
    ("llm_boilerplate", "질문?", "AI 언어 모델로서 저는 실시간 정보에 접근할 수 없습니다.", "llm_self_reference"),
    ("llm_boilerplate", "질문?", "죄송하지만 그 요청은 도와드릴 수 없습니다.", "llm_refusal"),
    ("llm_boilerplate", "질문?", "제 학습 데이터는 2021년까지의 정보만 담고 있습니다.", "knowledge_cutoff"),
    ("llm_boilerplate", "질문?", "저는 AI라서 직접 확인할 수 없습니다.", "llm_self_reference"),
    ("llm_boilerplate", "Q?", "I'm just an AI, so I can't be sure.", "llm_self_reference"),
    ("llm_boilerplate", "Q?", "Sorry.\n\nAs an AI therapist, I am here to support you.", "llm_self_reference"),
    ("truncated", "Q?", "Let's walk through each step of the algorithm in detail:", "truncated"),
    ("truncated", "Q?", "```python\nx = 1\n```\n\nlet total =", "truncated"),
    ("truncated", "Q?", "- 토크나이저 학습 방법\n- 당신 고유의 데이터셋을", "truncated"),
    ({"script": {"expected": "hangul"}}, "질문?", "This answer is written in English instead.", "unexpected_script"),
]


@pytest.mark.parametrize("spec,prompt,answer,expected", CASES, ids=[f"{i}-{c[3]}" for i, c in enumerate(CASES)])
def test_signal_reason(spec, prompt, answer, expected):
    (unit,) = build_signals([spec])
    kind = "text" if isinstance(unit, WebTextRule) else "pair"  # web-page rules score plain text (their design)
    assert unit(Record(prompt, answer, kind)) == expected
    if expected is not None:
        assert expected in unit.reasons


def test_every_reason_code_has_a_case():
    covered = {c[3] for c in CASES if c[3]} | {"empty_text"}
    declared = {r for cls in REGISTRY.values() for r in cls.reasons}
    assert declared - covered == set()


# Clean records no signal may flag (hand-checked): short correct answers, code, Korean sentence ends, lists.
CLEAN = [
    ("Is the field serialized?", "Yes."),
    ("Which type stores the clip?", "AudioClip"),
    ("Are the fields in Level1PuzzleMaster serialized?", "Yes, the fields in Level1PuzzleMaster are serialized."),
    ("How do you subscribe?", "Use the += operator:\n\nLevel1EventHub.OnRoom1PoolUpdate += MyMethod;"),
    ("Show the enum.", "```csharp\npublic enum State {\n    Sleep,\n    Roaming,\n    Killing\n}\n```"),
    ("What does it do?", PROSE),
    ("연차 휴가는 어떻게 신청하나요?", "인사 시스템에서 휴가 신청 메뉴를 눌러 날짜를 입력하면 됩니다"),
    ("확인이 필요한가요?", "팀장 확인 필요함"),
    ("Steps?", "1. Open settings.\n2. Choose Network.\n3. Press Reset."),
    ("What is the URL?", "The docs are at https://example.com/docs."),
    ("Where are the docs?", "The full reference for every endpoint is at https://docs.ollama.com/api"),
    ("Who do I write to?", "Questions about invoices go to the finance team at billing@example.com"),
    (
        "Where?",
        "Set OLLAMA_TMPDIR to a folder the service user can write, for example OLLAMA_TMPDIR=/usr/share/ollama/",
    ),
    (
        "Ideas?",
        "Mind-Mapping - write a central idea and branch out from it\n\nFree-Writing - set a timer and write without "
        "stopping\n\nRole-Playing - assign roles to people so they see the problem from another side and find ideas",
    ),
    (
        "What next?",
        "Unsupported modules:\n- open an issue and ask for the feature where maintainers can help you add it",
    ),
    ("손이 차가워", "장갑 하나 사셔야겠어요,"),
    ("특징?", "- 손실의 부드러운 감소\n- 곡선이 평평해져서 모델이 패턴을 학습했음을 나타냄"),
    ("Which client?", "You can use the OpenAI client with `base_url` set to the local server, as with the OpenAI API."),
    ("Reverse a string?", 'def rev(s):\n    return s[::-1]\n\nprint(rev("hello, I am an AI language model"))'),
    ("Who made GPT-2?", "GPT-2 was released by OpenAI in 2019; as a language model, it predicts the next token."),
]


def test_truncated_keeps_a_missing_value_dash_and_a_shell_command():
    (unit,) = build_signals(["truncated"])
    assert unit(Record("Which?", "Egypt - 13.0 million\nMorocco - 12.9 million\nKenya - –")) is None
    assert unit(Record("In the shell?", "find . -name '*.sh' -exec sed -i 's/a/b/g' {} +")) is None


# Three plain human-written Korean pairs about this product's own subjects (issue 23): no generated-text flag.
KOREAN_ABOUT_TRAINING = [
    (
        "좋은 학습 데이터의 조건은 무엇인가요?",
        "좋은 학습 데이터는 품질이 높고 다양하며, 실제 사용 사례를 골고루 담고 있어야 합니다.",
    ),
    (
        "OpenAI 모델 대신 우리 모델을 쓰는 이유가 뭔가요?",
        "OpenAI 모델은 외부 API로만 쓸 수 있지만, 직접 학습한 모델은 사내 서버에서 돌릴 수 있어 데이터가 밖으로 나가지 "
        "않습니다.",
    ),
    (
        "LoRA는 무엇인가요?",
        "LoRA는 모델 전체 대신 작은 어댑터 행렬만 학습하는 방법입니다. 메모리를 적게 쓰고 학습 데이터가 적어도 됩니다.",
    ),
]


@pytest.mark.parametrize("prompt,answer", KOREAN_ABOUT_TRAINING)
def test_korean_pairs_about_training_data_openai_and_lora_are_not_generated(prompt, answer):
    from curate.signals import CATEGORY

    reasons = evaluate(default_signals(), prompt, answer)
    assert [r for r in reasons if CATEGORY.get(r) == "generated"] == []
    assert reasons == []


@pytest.mark.parametrize("prompt,answer", CLEAN)
def test_clean_records_keep(prompt, answer):
    assert evaluate(default_signals(), prompt, answer) == []


def test_empty_record():
    """Only the empty-field rule speaks on an empty record; no other rule divides by zero or fires."""
    for unit in default_signals():
        got = unit(Record("", "", "pair"))
        assert got == ("empty_question" if unit.name == "empty_field" else None), unit.name
        assert unit(Record("", "", "text")) == ("empty_text" if unit.name == "empty_field" else None)


def test_registry_round_trip():
    units = default_signals()
    config = signal_config(units)
    again = build_signals(config)
    assert signal_config(again) == config
    assert [u.name for u in again] == [u.name for u in units]


def test_unknown_signal_and_setting_are_user_errors():
    from workbench.errors import UserError

    with pytest.raises(UserError, match="unknown signal 'nope'"):
        build_signals(["nope"])
    with pytest.raises(UserError, match="its settings"):
        build_signals([{"truncated": {"bogus": 1}}])


# -- Korean and other scripts ---------------------------------------------------------------------------------------
def test_script_and_language():
    assert dominant_script("안녕하세요, 반갑습니다") == "hangul" and language("안녕하세요") == "ko"
    assert language("これはテストです") == "ja"
    assert language("这是一个测试") == "zh"
    assert language("This is the answer to the question.") == "en"
    assert dominant_script("12345 !!!") == "none"


def test_hangul_sentence_ends():
    assert ends_sentence("확인하세요") and ends_sentence("처리됨") and ends_sentence("가능합니다")
    assert not ends_sentence("지퍼백에") and not ends_sentence("그리고")


def test_gopher_stop_word_rule_does_not_fire_on_korean():
    """A long Korean answer has none of the English stop words; the rule must stay quiet (it fires on Latin text)."""
    ko = " ".join(["회사 인사 시스템에서 휴가를 신청하고 팀장의 승인을 받으면 메일로 결과가 안내됩니다."] * 8)
    (gq,) = build_signals(["gopher_quality"])
    assert len(ko.split()) >= 50
    assert gq(Record("질문?", ko, "text")) is None
    assert gq(Record("Q?", _words(60, "zeta"), "text")) == "few_stop_words"


def test_korean_repetition_uses_character_ngrams():
    (rep,) = build_signals(["gopher_repetition"])
    repeated = "휴가 신청 방법 " * 40
    assert rep(Record("질문?", repeated, "text")) in ("top_ngram_ratio", "dup_ngram_ratio")


def test_korean_set_flags_exactly_the_deliberate_flaws():
    rows = [json.loads(x) for x in (REPO / "data/korean-instruct/ko_instruct.jsonl").read_text("utf-8").splitlines()]
    flagged = {i: evaluate(default_signals(), r["question"], r["answer"]) for i, r in enumerate(rows, 1)}
    flagged = {i: rs for i, rs in flagged.items() if rs}
    assert flagged == {15: ["empty_answer"], 23: ["llm_self_reference"], 62: ["truncated"]}


# -- adapted quality rules on a clean instruction set -----------------------------------------------------------------
def _enlighten():
    with open(REPO / "data/enlighten-instruct/TrainData.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_quality_rules_flag_at_most_5_percent_of_clean_pairs():
    """Issue 3: on a clean instruction set our (adapted) quality rules flag at most 5 %."""
    rows = _enlighten()
    units = default_signals()
    flagged = sum(bool(evaluate(units, r["Q"], r["A"])) for r in rows)
    assert flagged / len(rows) <= 0.05


def test_web_text_thresholds_would_drop_most_pairs():
    """The same units at datatrove's web-text defaults drop most clean Q/A pairs (too few words / sentences):
    the reason the defaults above are adapted."""
    rows = _enlighten()
    web = build_signals(
        [
            {
                "gopher_quality": {
                    "on_pairs": True,
                    "min_words": 50,
                    "max_bullet_lines_ratio": 0.9,
                    "min_words_for_ratios": 0,
                    "skip_code": False,
                }
            },
            {"c4": {"filter_curly_bracket": True, "min_num_sentences": 5, "skip_code": False}},
            {"fineweb": {"on_pairs": True, "min_lines": 1, "skip_code": False}},
        ]
    )
    flagged = sum(bool(evaluate(web, r["Q"], r["A"])) for r in rows)
    assert flagged / len(rows) > 0.5


def test_web_page_rules_leave_instruction_pairs_alone_unless_turned_on():
    """Issue 23: the Gopher and FineWeb rules measured 4 of 283 flags right on labelled instruction answers (tables,
    lists, code), so they score plain-text records only, and question/answer records with `on_pairs`."""
    table = "| model | size |\n|---|---|\n" + "\n".join(f"| m{i} | {i}B |" for i in range(8))
    for name, reason in (("gopher_quality", "avg_word_length_low"), ("fineweb", "short_line_ratio")):
        (off,) = build_signals([name])
        (on,) = build_signals([{name: {"on_pairs": True}}])
        assert off(Record("Which sizes?", table)) is None
        assert on(Record("Which sizes?", table)) == off(Record("", table, "text")) == reason
    assert not any(evaluate(default_signals(), "Which sizes?", table))


def test_a_template_token_named_in_bold_and_a_table_of_short_values_are_not_flagged():
    """The last false flags of template_token and symbol_soup on the labelled real data (docs/flags.md)."""
    (tok,) = build_signals(["template_token"])
    named = "It decodes until the EOS token, which is **<|im_end|>** for this model."
    assert tok(Record("Q?", named)) is None
    assert tok(Record("Q?", "The capital is Paris.<|im_end|>")) == "template_token"
    assert tok(Record("Q?", "**Paris**<|im_end|>")) == "template_token"
    (soup,) = build_signals(["symbol_soup"])
    quant = "| Type | Recommended |\n| ------ | :---------: |\n| q4_K_M | \\* |\n| q4_K_S | |\n| q8_0 | \\* |"
    assert soup(Record("Which quantisation?", quant)) is None
    assert soup(Record("Q?", "| !!! | ??? |\n|---|---|\n| @#$ | %^& |")) == "symbol_soup"


def test_template_uniformity_low_for_templated_answers():
    templated = [f"The answer to item {i} is {i * 3}." for i in range(200)]
    varied = [
        f"{w} {i} reasons explain this"
        for i, w in enumerate(["Because", "Mostly", "Often", "Rarely", "Usually", "Sometimes"] * 30)
    ]
    t = template_uniformity(templated)
    v = template_uniformity(varied)
    assert t["top_opening_share"] == 1.0 and t["opening_entropy"] == 0.0
    assert v["opening_entropy"] > 0.3 > t["opening_entropy"]
    assert template_uniformity([])["records"] == 0
