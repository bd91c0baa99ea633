"""Every assertion type passes and fails where it should; not-, weights, thresholds; llm-rubric with a real judge."""
from __future__ import annotations

import pytest

from evalkit.errors import UserError
from evalkit.suites.assertions import Output, known_types, parse_check
from evalkit.suites.format import Case
from evalkit.suites.runner import grade_case


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
    ({"type": "similar", "value": "The beast attacks the player", "threshold": 0.9},
     "the player attacks the beast", "Something else entirely"),
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
    g = check({"type": "similar", "value": ["nothing alike", "sitting"], "method": "ratio", "threshold": 0.99}, "sitting")
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
    return Case(id="c", prompt="p", vars={}, tags=[], checks=[parse_check(c, "t") for c in checks], gen={},
                threshold=threshold)


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
    from evalkit.models import Generation

    judge = tiny_model
    seen = []

    def fake_generate(prompts, **kw):
        seen.extend(prompts)
        return [Generation(text=reply) for _ in prompts]

    monkeypatch.setattr(judge, "generate", fake_generate)
    g = check({"type": "llm-rubric", "value": "Mentions the capital city", "threshold": 7}, "Mexico City",
              prompt="What is the capital of Mexico?", judge=judge)
    assert g.passed is passed and g.score == pytest.approx(score)
    assert "Mentions the capital city" in str(seen[0]) and "Mexico City" in str(seen[0])


def test_llm_rubric_real_tiny_judge_runs(tiny_model):
    # A random tiny model writes no verdict: the check fails with "could not be parsed", never crashes.
    g = check({"type": "llm-rubric", "value": "Is correct"}, "Mexico City", prompt="Capital of Mexico?", judge=tiny_model)
    assert g.passed is False and ("parsed" in g.reason or "judge score" in g.reason)
