"""Every assertion type passes and fails where it should; not-, weights, thresholds; llm-rubric with a real judge."""

from __future__ import annotations

import json

import pytest

from evalkit.suites.assertions import Output, known_types, parse_check
from evalkit.suites.format import Case
from evalkit.suites.grading import grade_case
from workbench.errors import UserError


def check(spec: dict, text: str, **out):
    return parse_check(spec, "test").run(Output(text=text, **out))


SCHEMA = {"type": "object", "required": ["name", "age"], "properties": {"age": {"type": "integer"}}}

# (assertion, output that passes, output that fails)
CASES = [
    ({"type": "equals", "value": "Paris"}, "  Paris\n", "paris"),
    ({"type": "equals", "value": "Paris", "strip": False}, "Paris", " Paris"),
    ({"type": "contains", "value": "Mexico City"}, "It is Mexico City.", "It is mexico city."),
    ({"type": "icontains", "value": "Mexico City"}, "it is MEXICO CITY", "It is Guadalajara"),
    ({"type": "contains-any", "value": ["7", "seven"]}, "seven days", "six days"),
    ({"type": "contains-all", "value": ["red", "blue"]}, "red and blue", "red only"),
    ({"type": "icontains-any", "value": ["Hello", "Hi"]}, "hi there", "good day"),
    ({"type": "icontains-all", "value": ["RED", "blue"]}, "Red and BLUE", "red only"),
    ({"type": "starts-with", "value": "Yes"}, "  Yes, it is.", "No. Yes."),
    ({"type": "starts-with", "value": "yes", "ignore_case": True}, "YES!", "no"),
    ({"type": "regex", "value": r"^\d{4}-\d{2}-\d{2}$"}, "2026-11-28", "28/11/2026"),
    ({"type": "regex", "value": "paris", "ignore_case": True}, "PARIS", "Lyon"),
    ({"type": "is-json"}, '{"a": [1, 2]}', "{'a': 1}"),
    ({"type": "is-json"}, '```json\n{"a": 1}\n```', "```json\n{a: 1}\n```"),
    ({"type": "json-schema", "value": SCHEMA}, '{"name": "Ana", "age": 30}', '{"name": "Ana", "age": "30"}'),
    ({"type": "json-schema", "value": SCHEMA}, '{"name": "Ana", "age": 30}', "not json"),
    ({"type": "number", "value": 42}, "6 times 7 is 42.", "6 times 7 is 48."),
    ({"type": "number", "value": 3.14, "tolerance": 0.01}, "pi is about 3.1416", "pi is about 3.2"),
    ({"type": "number", "value": 1200, "relative": 0.05}, "roughly 1,230 people", "roughly 1,300 people"),
    ({"type": "number", "value": 2, "pick": "first"}, "2 and then 5", "5 and then 2"),
    (
        {"type": "similar", "value": "The beast attacks the player", "threshold": 0.9},
        "the player attacks the beast",
        "Something else entirely",
    ),
    ({"type": "similar", "value": "kitten", "method": "ratio", "threshold": 0.8}, "kitten!", "sitting"),
    ({"type": "length", "min": 3, "max": 10}, "hello", "hi"),
    ({"type": "length", "max": 3, "unit": "words"}, "one two three", "one two three four"),
    ({"type": "not-icontains", "value": "as an ai"}, "Sure, here it is.", "As an AI language model, I can't."),
    ({"type": "not-regex", "value": r"\?\s*$"}, "Mexico City.", "What is the capital of Peru?"),
]


def test_every_registered_type_is_tested():
    tested = {spec["type"].removeprefix("not-") for spec, _, _ in CASES} | {"latency", "choice", "llm-rubric", "python"}
    assert set(known_types()) == tested


@pytest.mark.parametrize("spec,good,bad", CASES, ids=[f"{s['type']}-{i}" for i, (s, _, _) in enumerate(CASES)])
def test_pass_and_fail(spec, good, bad):
    g, b = check(spec, good), check(spec, bad)
    assert g.passed is True and g.score > 0, g.reason
    assert b.passed is False, b.reason


def test_similar_scores_are_rapidfuzz_fractions():
    # ratio("kitten", "sitting") = 1 - indel distance 5 / 13 characters
    g = check({"type": "similar", "value": "kitten", "method": "ratio", "threshold": 0.5}, "sitting")
    assert g.score == pytest.approx(1 - 5 / 13, abs=1e-9) and g.passed
    g = check(
        {"type": "similar", "value": ["nothing alike", "sitting"], "method": "ratio", "threshold": 0.99}, "sitting"
    )
    assert g.score == 1.0  # the closest of several references


def test_number_reports_what_it_read():
    g = check({"type": "number", "value": 5}, "2 + 3 = 5")
    assert g.passed and "got 5" in g.reason
    assert not check({"type": "number", "value": 5}, "no digits here").passed


def test_latency():
    assert check({"type": "latency", "max": 1.0}, "x", latency_s=0.5).passed
    assert not check({"type": "latency", "max": 1.0}, "x", latency_s=1.5).passed


def test_not_inverts_score():
    g = check({"type": "not-similar", "value": "abcd", "method": "ratio"}, "abcx")
    assert g.score == pytest.approx(1 - 0.75) and g.passed is True  # 0.75 < 0.8: similar fails, not-similar passes


def test_choice_acc_and_acc_norm_differ_as_lm_eval_defines():
    # lm-eval: pred = argmax(lls); pred_norm = argmax(lls / len(choice)) with len in characters, delimiter excluded
    spec = {"type": "choice", "choices": ["no", "a much longer answer"], "answer": "b"}
    lls = [(-5.0, False), (-20.0, False)]  # per char: -2.5 vs -1.0
    g = check(spec, "", choice_lls=lls)
    assert (g.data["pred"], g.data["pred_norm"], g.data["gold"]) == (0, 1, 1)
    assert (g.data["acc"], g.data["acc_norm"], g.passed) == (0.0, 1.0, False)
    assert check({**spec, "metric": "acc_norm"}, "", choice_lls=lls).passed
    assert check({**spec, "answer": 1}, "", choice_lls=lls).data["gold"] == 1
    assert check({**spec, "answer": "a much longer answer"}, "", choice_lls=lls).data["gold"] == 1


def test_python_needs_allow_code():
    spec = {"type": "python", "value": "output.count('a') == 2"}
    with pytest.raises(UserError, match="allow-code"):
        check(spec, "banana")
    assert not check(spec, "banana", allow_code=True).passed  # three a's
    assert check(spec, "aa", allow_code=True).passed
    fn = {"type": "python", "value": "def check(output, vars):\n    return len(output) / 10"}
    g = check(fn, "abcdefgh", allow_code=True)
    assert g.score == pytest.approx(0.8) and g.passed


def test_unknown_type_lists_known_ones():
    with pytest.raises(UserError) as e:
        parse_check({"type": "icontain", "value": "x"}, "s.yaml:3: case c1: assert[0]")
    assert "s.yaml:3" in e.value.message and "did you mean 'icontains'" in e.value.message
    assert "equals" in e.value.hint and "llm-rubric" in e.value.hint


def test_bad_keys_are_named():
    with pytest.raises(UserError, match="unknown key"):
        parse_check({"type": "contains", "valeu": "x"}, "here")
    with pytest.raises(UserError, match="missing value"):
        parse_check({"type": "contains"}, "here")


def _case(checks, threshold=None):
    return Case(
        id="c", prompt="p", vars={}, tags=[], checks=[parse_check(c, "t") for c in checks], gen={}, threshold=threshold
    )


def test_weights_and_threshold():
    checks = [{"type": "contains", "value": "a", "weight": 3}, {"type": "contains", "value": "zzz", "weight": 1}]
    r = grade_case(_case(checks), Output(text="abc"))
    assert r["status"] == "fail" and r["score"] == pytest.approx(0.75)  # every assertion must pass without a threshold
    assert grade_case(_case(checks, threshold=0.7), Output(text="abc"))["status"] == "pass"
    assert grade_case(_case(checks, threshold=0.8), Output(text="abc"))["status"] == "fail"


def test_failing_custom_code_is_an_error_not_a_fail():
    r = grade_case(_case([{"type": "python", "value": "1 / 0"}]), Output(text="x", allow_code=True))
    assert r["status"] == "error" and "ZeroDivisionError" in r["error"]


@pytest.mark.parametrize("reply,passed,score", [("Rating: [[9]]", True, 8 / 9), ("Rating: [[3]]", False, 2 / 9)])
def test_llm_rubric_verdicts(tiny_model, reply, passed, score, monkeypatch):
    """The real judge path (evalkit.judges.rubric_grade builds the prompt and parses the reply); only the reply
    text is fixed, since a random tiny model writes no parseable verdict."""
    from workbench.models import Generation

    judge = tiny_model
    seen = []

    def fake_generate(prompts, **kw):
        seen.extend(prompts)
        return [Generation(text=reply) for _ in prompts]

    monkeypatch.setattr(judge, "generate", fake_generate)
    g = check(
        {"type": "llm-rubric", "value": "Mentions the capital city", "threshold": 7},
        "Mexico City",
        prompt="What is the capital of Mexico?",
        judge=judge,
    )
    assert g.passed is passed and g.score == pytest.approx(score)
    assert "Mentions the capital city" in str(seen[0]) and "Mexico City" in str(seen[0])


def test_llm_rubric_real_tiny_judge_runs(tiny_model):
    # A random tiny model writes no verdict: the check fails with "could not be parsed", never crashes.
    g = check(
        {"type": "llm-rubric", "value": "Is correct"}, "Mexico City", prompt="Capital of Mexico?", judge=tiny_model
    )
    assert g.passed is False and ("parsed" in g.reason or "judge score" in g.reason)


# -- reasons as messages: the English is the old sentences byte for byte, and every key is one of them -------------
# (spec, output, Output keywords, the reason the checks gave before their reasons were keyed: the English the CLI
# prints and results.json keeps, written down from that implementation). llm-rubric's verdict, computed ahead as the
# runner batches it, is (score, verdict, raw reply, parsed).
J = "Mentions the capital city"
GSCHEMA = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "name": {"type": "string", "pattern": "^[A-Z]"},
        "kind": {"enum": ["cat", "dog"]},
        "v": {"const": 2},
    },
}


def _verdict(score, verdict, raw, parsed=True):
    from evalkit.judges.judge import SingleVerdict

    return SingleVerdict(score, verdict, raw, parsed)


GOLDEN = [
    ({"type": "equals", "value": "Paris"}, "  Paris\n", {}, "expected 'Paris', got 'Paris'"),
    (
        {"type": "equals", "value": "Paris"},
        "paris, the capital of France " * 5,
        {},
        "expected 'Paris', got 'paris, the capital of France paris, the capital of France paris, the capital of '",
    ),
    ({"type": "contains", "value": "Mexico City"}, "It is Mexico City.", {}, "found ['Mexico City']"),
    ({"type": "contains", "value": "Mexico City"}, "It is mexico city.", {}, "missing ['Mexico City']"),
    ({"type": "icontains-any", "value": ["Hello", "Hi"]}, "hi there", {}, "found ['Hi']"),
    ({"type": "contains-any", "value": ["7", "seven"]}, "six days", {}, "missing ['7', 'seven']"),
    ({"type": "icontains-all", "value": ["RED", "blue", "서울"]}, "Red only", {}, "missing ['blue', '서울']"),
    ({"type": "contains-all", "value": ["red", "blue"]}, "red and blue", {}, "found ['red', 'blue']"),
    ({"type": "starts-with", "value": "Yes"}, '  No. Yes, it\'s "quoted".', {}, 'starts with "No. Yes, it\'s"'),
    ({"type": "starts-with", "value": "yes", "ignore_case": True}, "YES!", {}, "starts with 'YES!'"),
    ({"type": "regex", "value": r"^\d{4}-\d{2}-\d{2}$"}, "2026-11-28", {}, "matched '2026-11-28'"),
    ({"type": "regex", "value": r"^\d{4}-\d{2}-\d{2}$"}, "28/11/2026", {}, "no match for /^\\d{4}-\\d{2}-\\d{2}$/"),
    ({"type": "is-json"}, '{"a": [1, 2]}', {}, "valid JSON"),
    (
        {"type": "is-json"},
        "{'a': 1}",
        {},
        "not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ),
    ({"type": "is-json"}, "", {}, "not JSON: Expecting value: line 1 column 1 (char 0)"),
    ({"type": "is-json"}, '{"a": 1} trailing', {}, "not JSON: Extra data: line 1 column 10 (char 9)"),
    ({"type": "is-json"}, '{"a" 1}', {}, "not JSON: Expecting ':' delimiter: line 1 column 6 (char 5)"),
    ({"type": "is-json"}, "[1 2]", {}, "not JSON: Expecting ',' delimiter: line 1 column 4 (char 3)"),
    ({"type": "is-json"}, '"open', {}, "not JSON: Unterminated string starting at: line 1 column 1 (char 0)"),
    ({"type": "is-json"}, '"a\x01b"', {}, "not JSON: Invalid control character at: line 1 column 3 (char 2)"),
    ({"type": "is-json"}, '"a\\qb"', {}, "not JSON: Invalid \\escape: line 1 column 3 (char 2)"),
    ({"type": "is-json"}, '"\\u12"', {}, "not JSON: Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    ({"type": "json-schema", "value": GSCHEMA}, '{"name": "Ana", "age": 30}', {}, "matches the schema"),
    ({"type": "json-schema", "value": GSCHEMA}, "not json", {}, "not JSON: Expecting value: line 1 column 1 (char 0)"),
    (
        {"type": "json-schema", "value": GSCHEMA},
        '{"name": "Ana", "age": "30"}',
        {},
        "age: '30' is not of type 'integer'",
    ),
    ({"type": "json-schema", "value": GSCHEMA}, '{"name": "Ana"}', {}, "(root): 'age' is a required property"),
    ({"type": "json-schema", "value": GSCHEMA}, "[1, 2]", {}, "(root): [1, 2] is not of type 'object'"),
    (
        {"type": "json-schema", "value": GSCHEMA},
        '{"name": "Ana", "age": -1}',
        {},
        "age: -1 is less than the minimum of 0",
    ),
    (
        {"type": "json-schema", "value": GSCHEMA},
        '{"name": "Ana", "age": 200}',
        {},
        "age: 200 is greater than the maximum of 150",
    ),
    (
        {"type": "json-schema", "value": GSCHEMA},
        '{"name": "ana", "age": 20}',
        {},
        "name: 'ana' does not match '^[A-Z]'",
    ),
    (
        {"type": "json-schema", "value": GSCHEMA},
        '{"name": "Ana", "age": 20, "kind": "cow"}',
        {},
        "kind: 'cow' is not one of ['cat', 'dog']",
    ),
    ({"type": "json-schema", "value": GSCHEMA}, '{"name": "Ana", "age": 20, "v": 3}', {}, "v: 2 was expected"),
    (
        {"type": "json-schema", "value": {"type": ["string", "null"]}},
        "5",
        {},
        "(root): 5 is not of type 'string', 'null'",
    ),
    (
        {"type": "json-schema", "value": {"type": "object", "additionalProperties": False}},
        '{"x": 1}',
        {},
        "(root): Additional properties are not allowed ('x' was unexpected)",
    ),
    (
        {"type": "json-schema", "value": {"type": "object", "additionalProperties": False}},
        '{"x": 1, "y": 2}',
        {},
        "(root): Additional properties are not allowed ('x', 'y' were unexpected)",
    ),
    ({"type": "number", "value": 42}, "6 times 7 is 42.", {}, "got 42, expected 42"),
    ({"type": "number", "value": 42}, "no idea", {}, "no number in the output"),
    ({"type": "number", "value": 3.14, "tolerance": 0.01}, "pi is about 3.2", {}, "got 3.2, expected 3.14 ± 0.01"),
    ({"type": "number", "value": 1200, "relative": 0.05}, "roughly 1,300 people", {}, "got 1300, expected 1200"),
    ({"type": "number", "value": 1e-7}, "about 2.5e-7", {}, "got 2.5e-07, expected 1e-07"),
    (
        {"type": "similar", "value": "The beast attacks the player", "threshold": 0.9},
        "the player attacks the beast",
        {},
        "token_set_ratio 1.00 (threshold 0.9)",
    ),
    (
        {"type": "similar", "value": "kitten", "method": "ratio", "threshold": 0.8},
        "sitting",
        {},
        "ratio 0.62 (threshold 0.8)",
    ),
    ({"type": "length", "min": 3, "max": 10}, "hi", {}, "2 chars (bounds 3..10)"),
    ({"type": "length", "max": 3, "unit": "words"}, "one two three four", {}, "4 words (bounds None..3)"),
    ({"type": "length", "min": 3}, "hello", {}, "5 chars (bounds 3..None)"),
    ({"type": "length"}, "hello", {}, "5 chars (bounds None..None)"),
    ({"type": "latency", "max": 2}, "x", {"latency_s": 2.345}, "2.35 s (limit 2 s)"),
    ({"type": "latency", "max": 0.5}, "x", {"latency_s": 0.1}, "0.10 s (limit 0.5 s)"),
    (
        {"type": "choice", "choices": ["Paris", "Lyon", "Nice 'sur mer'"], "answer": "b"},
        "",
        {"choice_lls": [(-1.0, True), (-3.0, False), (-9.0, False)], "prompt": "Capital?"},
        "picked 0 ('Paris'), gold 1",
    ),
    (
        {"type": "choice", "choices": [" Paris", " Lyon"], "answer": 0, "metric": "acc_norm"},
        "",
        {"choice_lls": [(-10.0, False), (-2.0, True)], "prompt": "Capital?"},
        "picked 1 ('Lyon'), gold 0",
    ),
    (
        {"type": "llm-rubric", "value": J},
        "Mexico City",
        {"verdicts": (None, "unparsed", "I think it's fine 'really'", False)},
        "judge reply could not be parsed: \"I think it's fine 'really'\"",
    ),
    ({"type": "llm-rubric", "value": J}, "Mexico City", {"verdicts": (None, "pass", "PASS", True)}, "judge: pass"),
    ({"type": "llm-rubric", "value": J}, "Mexico City", {"verdicts": (None, "fail", "FAIL", True)}, "judge: fail"),
    (
        {"type": "llm-rubric", "value": J, "threshold": 7},
        "Mexico City",
        {"verdicts": (3.0, "score", "[[3]]", True)},
        "judge score 3 (threshold 7)",
    ),
    (
        {"type": "llm-rubric", "value": J, "threshold": 7.5},
        "Mexico City",
        {"verdicts": (9.5, "score", "[[9.5]]", True)},
        "judge score 9.5 (threshold 7.5)",
    ),
    ({"type": "python", "value": "'Paris' in output"}, "Paris", {"allow_code": True}, "python returned True"),
    ({"type": "python", "value": "None"}, "Paris", {"allow_code": True}, "python returned None"),
    ({"type": "python", "value": "len(output) / 10"}, "Paris", {"allow_code": True}, "python returned 0.5"),
    (
        {"type": "python", "value": "def check(output, vars):\n    return False, '답이 너무 짧다: ' + output"},
        "Paris",
        {"allow_code": True},
        "답이 너무 짧다: Paris",
    ),
    (
        {"type": "not-icontains", "value": "as an ai"},
        "As an AI language model, I can't.",
        {},
        "not: found ['as an ai']",
    ),
    ({"type": "not-regex", "value": r"\?\s*$"}, "Mexico City.", {}, "not: no match for /\\?\\s*$/"),
    ({"type": "not-length", "max": 3, "unit": "words"}, "one two", {}, "not: 2 words (bounds None..3)"),
]


def _golden_grade(spec, text, kw, request):
    if "verdicts" in kw:  # llm-rubric with the verdict computed ahead (as the runner batches them); the judge is real
        kw = {**kw, "verdicts": {J: _verdict(*kw["verdicts"])}, "judge": request.getfixturevalue("tiny_model")}
    return parse_check(dict(spec), "test").run(Output(text=text, **kw))


def _keys(msg) -> set[str]:
    """A message's key and its nested messages' keys."""
    from workbench.messages import is_message

    return {msg["key"]} | {k for v in msg["fields"].values() if is_message(v) for k in _keys(v)}


@pytest.mark.parametrize("spec,text,kw,english", GOLDEN, ids=[f"{g[0]['type']}-{i}" for i, g in enumerate(GOLDEN)])
def test_reason_is_the_old_english_and_its_key_renders_to_it(spec, text, kw, english, request):
    from evalkit.suites.assertions import MESSAGES
    from workbench.messages import is_message, render

    g = _golden_grade(spec, text, kw, request)
    assert g.reason == english
    assert is_message(g.message) and render(g.message, MESSAGES) == english
    stored = json.loads(json.dumps(g.message))  # as the store's JSON column keeps it
    assert stored == g.message and render(stored, MESSAGES) == english


def test_golden_covers_every_type_and_every_key(request):
    from evalkit.suites.assertions import MESSAGES

    assert {spec["type"].removeprefix("not-") for spec, *_ in GOLDEN} == set(known_types())
    used = set().union(*(_keys(_golden_grade(s, t, k, request).message) for s, t, k, _ in GOLDEN))
    assert used == set(MESSAGES)


def test_a_library_sentence_worded_otherwise_stays_exact_and_plain():
    """jsonschema's messages without a key (minLength) or worded unlike the template stay English text."""
    g = check({"type": "json-schema", "value": {"type": "string", "minLength": 1}}, '""')
    assert g.reason == "(root): '' should be non-empty" and g.message["fields"]["error"] == "'' should be non-empty"
    from evalkit.suites.assertions import _exact

    assert _exact("'age' is needed", "assertions.schema.required", name="'age'") == "'age' is needed"


def test_grade_case_stores_the_key_beside_the_reason():
    checks = [
        {"type": "icontains", "value": "Paris"},
        {"type": "not-length", "max": 3, "unit": "words"},
        {"type": "number", "value": 42, "tolerance": 0.5},
    ]
    r = grade_case(_case(checks), Output(text="Lyon, I think, is 41"))
    json.dumps(r)  # the case result goes to results.json and the store as it is
    for row, english in zip(
        r["assertions"], ["missing ['Paris']", "not: 5 words (bounds None..3)", "got 41, expected 42 ± 0.5"]
    ):
        assert row["reason"] == english and row["reason_key"]["key"].startswith("assertions.")
    err = grade_case(_case([{"type": "python", "value": "1 / 0"}]), Output(text="x", allow_code=True))
    assert "reason_key" not in err["assertions"][0]  # an error's reason is the exception's text


def test_a_reason_whose_fields_are_not_plain_json_stays_english_only():
    """A number read as infinity can't go in a strict JSON column (PostgreSQL): the reason keeps its English and carries
    no key, so the app shows the English."""
    g = check({"type": "number", "value": 5}, "about 1e999")
    assert g.reason == "got inf, expected 5" and g.message is None
    n = check({"type": "not-number", "value": 5}, "about 1e999")
    assert n.reason == "not: got inf, expected 5" and n.message == {
        "key": "assertions.not",
        "fields": {"reason": g.reason},
    }
    row = grade_case(_case([{"type": "number", "value": 5}]), Output(text="about 1e999"))["assertions"][0]
    assert "reason_key" not in row and json.dumps(row, allow_nan=False)
