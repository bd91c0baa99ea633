"""The suite format: shipped suites load, file sources, templating, and bad input named by file:line and case id."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from evalkit.suites import load_suite
from evalkit.suites.format import render, suite_schema
from workbench.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.mark.parametrize("name", ["enlighten-mc", "enlighten-qa", "korean", "sanity"])
def test_shipped_suites_validate_and_load(name):
    path = REPO / "suites" / f"{name}.yaml"
    jsonschema.Draft202012Validator(suite_schema()).validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    suite = load_suite(path)
    assert suite.name == name and suite.cases
    assert len({c.id for c in suite.cases}) == len(suite.cases)


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(suite_schema())


def test_enlighten_mc_from_csv():
    suite = load_suite(REPO / "suites" / "enlighten-mc.yaml")
    assert len(suite.cases) == 269
    first = suite.cases[0]
    assert first.prompt == "Question: What does the BeastAttack class do in the Unity project?\nAnswer:"
    check = first.choice_check
    assert check.params["choices"][2] == "Manages the beast attack behavior and player hit behavior"
    assert check.params["answer"] == "c" and check.params["delimiter"] == " "
    assert first.tags == ["BeastAttack.cs"] and first.id == "mc-0"
    assert not first.needs_generation


def test_inline_case_template_vars_and_defaults(tmp_path):
    p = write(
        tmp_path,
        """
        name: t
        defaults:
          template: "Q: {input}\\nA:"
          max_new_tokens: 7
          system: Be brief.
          vars: {city: Paris}
          assert:
            - type: length
              max: 100
        cases:
          - id: one
            input: 'Capital with {city}? JSON like {"a": 1} stays, {{city}} is literal'
            vars: {country: France}
            max_new_tokens: 9
            assert:
              - type: icontains
                value: "{city}"
    """,
    )
    s = load_suite(p)
    c = s.cases[0]
    assert c.prompt == 'Q: Capital with Paris? JSON like {"a": 1} stays, {city} is literal\nA:'
    assert c.gen["max_new_tokens"] == 9 and c.gen["system"] == "Be brief."
    assert [ch.type for ch in c.checks] == ["length", "icontains"] and c.checks[1].params["value"] == "Paris"


def test_render_inserts_values_once():
    assert render("{a} {b}", {"a": "{b}", "b": "x"}) == "{b} x"


def test_jsonl_source_with_messages(tmp_path):
    (tmp_path / "rows.jsonl").write_text(
        "\n".join(
            json.dumps(r, ensure_ascii=False)
            for r in [{"q": "수도는?", "a": "서울", "k": 1}, {"q": "2+2?", "a": "4", "k": 2}]
        )
        + "\n",
        encoding="utf-8",
    )
    p = write(
        tmp_path,
        """
        name: t
        cases:
          - file: rows.jsonl
            id: "row-{k}"
            messages:
              - {role: user, content: "{q}"}
            tags: [from-file]
            assert:
              - type: contains
                value: "{a}"
    """,
    )
    s = load_suite(p)
    assert [c.id for c in s.cases] == ["row-1", "row-2"]
    assert s.cases[0].prompt == [{"role": "user", "content": "수도는?"}]
    assert s.cases[0].checks[0].params["value"] == "서울"


# a suite whose cases are the rows of d.csv (columns q, a)
CSV_SUITE = """
    name: t
    cases:
      - file: d.csv
        input: "{q}"
        assert: [{type: equals, value: "{a}"}]
"""


def test_digest_changes_with_the_data(tmp_path):
    (tmp_path / "d.csv").write_text("q,a\nx,y\n", encoding="utf-8")
    text = CSV_SUITE
    before = load_suite(write(tmp_path, text)).digest
    (tmp_path / "d.csv").write_text("q,a\nx,z\n", encoding="utf-8")
    assert load_suite(write(tmp_path, text)).digest != before


def error_of(tmp_path, text: str) -> UserError:
    with pytest.raises(UserError) as e:
        load_suite(write(tmp_path, text))
    return e.value


def test_yaml_syntax_error_has_line(tmp_path):
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - id: a
            input: "unclosed
            assert: []
    """,
    )
    assert "YAML syntax error" in e.message and "s.yaml:" in e.message
    assert e.message.split("s.yaml:")[1].split(":")[0].isdigit()


def test_schema_error_names_line_and_path(tmp_path):
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - id: a
            input: hi
            assert:
              - type: contains
                value: x
          - id: b
            inptu: hi
            assert: [{type: is-json}]
    """,
    )
    assert "s.yaml:10" in e.message and "inptu" in e.message


def test_unknown_assertion_names_case_and_lists_known(tmp_path):
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - id: my-case
            input: hi
            assert:
              - type: contians
                value: x
    """,
    )
    assert "case my-case" in e.message and "contians" in e.message and "did you mean 'contains'" in e.message
    assert "icontains" in e.hint and "regex" in e.hint


def test_missing_template_var_names_case(tmp_path):
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - id: needs-var
            input: "Hello {name}"
            assert: [{type: is-json}]
    """,
    )
    assert "case needs-var" in e.message and "{name}" in e.message and "s.yaml:4" in e.message


def test_missing_column_in_file_source(tmp_path):
    (tmp_path / "d.csv").write_text("q,a\nx,y\n", encoding="utf-8")
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - file: d.csv
            input: "{question}"
            assert: [{type: equals, value: "{a}"}]
    """,
    )
    assert "{question}" in e.message and "d.csv:2" in e.message and "case d-0" in e.message


def test_duplicate_ids_and_missing_file(tmp_path):
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - {id: a, input: x, assert: [{type: is-json}]}
          - {id: a, input: y, assert: [{type: is-json}]}
    """,
    )
    assert "duplicate case id 'a'" in e.message
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - {file: nowhere.csv, input: x, assert: [{type: is-json}]}
    """,
    )
    assert "nowhere.csv does not exist" in e.message


def test_bad_choice_answer(tmp_path):
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - id: q
            input: "Pick"
            assert: [{type: choice, choices: [x, y], answer: z}]
    """,
    )
    assert "case q" in e.message and "'z'" in e.message and "s.yaml:4" in e.message


# (an assertion as YAML flow mapping, words its message must contain): refused when the suite loads, with file:line
BAD_ASSERTIONS = [
    ('{type: regex, value: "([0-9]+"}', "invalid regular expression"),
    ('{type: not-regex, value: "a{2,1}"}', "invalid regular expression"),
    ("{type: choice, choices: [x, y, z], answer: 7}", "out of range"),
    ("{type: choice, choices: [x, y, z], answer: -1}", "out of range"),
    ("{type: choice, choices: [x], answer: 0}", "at least two"),
    ("{type: choice, choices: [x, y], answer: 0, metric: f1}", "metric must be one of acc, acc_norm"),
    ("{type: json-schema, value: {type: objekt}}", "not a valid JSON Schema"),
    ("{type: json-schema, value: not-a-schema}", "JSON Schema"),
    ("{type: number, value: forty-two}", "value must be a number"),
    ("{type: number, value: 42, tolerance: -1}", "tolerance must be >= 0"),
    ("{type: number, value: 42, pick: middle}", "pick must be one of first, last"),
    ("{type: similar, value: x, threshold: 1.5}", "threshold must be in [0, 1]"),
    ("{type: similar, value: x, method: levenshtein}", "method must be one of"),
    ("{type: length, min: 10, max: 2}", "min (10) is larger than max (2)"),
    ("{type: length, max: -1}", "max must be >= 0"),
    ("{type: length, max: 3, unit: tokens}", "unit must be one of chars, words"),
    ("{type: length, max: three}", "max must be int or None"),
    ("{type: latency, max: 0}", "max must be > 0 seconds"),
    ("{type: regex, value: x, ignore_case: maybe}", "ignore_case must be bool"),
    ("{type: contains, value: []}", "non-empty list"),
    ("{type: equals, value: {a: 1}}", "value must be a string"),
    ("{type: llm-rubric, value: correct, scale: [10, 1]}", "scale must be [low, high]"),
    ("{type: llm-rubric, value: correct, scale: [1, 5]}", "threshold must be within the scale"),
    ('{type: python, value: "output ==="}', "not valid Python"),
    ("{type: contains, value: x, weight: .nan}", "weight must be a number"),
]


@pytest.mark.parametrize("spec,words", BAD_ASSERTIONS, ids=[s for s, _ in BAD_ASSERTIONS])
def test_bad_assertion_arguments_are_refused_at_load_with_file_line_and_case(tmp_path, spec, words):
    e = error_of(
        tmp_path,
        f"""
        name: t
        cases:
          - {{id: ok, input: x, assert: [{{type: is-json}}]}}
          - id: bad-case
            input: "Pick one"
            assert: [{spec}]
    """,
    )
    assert "s.yaml:5" in e.message and "case bad-case" in e.message and "assert[0]" in e.message
    assert words in e.message, e.message


def test_arguments_from_a_case_file_are_checked_per_row(tmp_path):
    """A pattern from a CSV column is checked once rendered: the row's line is named."""
    (tmp_path / "d.csv").write_text('q,pat\nx,"[a-z]+"\ny,"(open"\n', encoding="utf-8")
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - file: d.csv
            input: "{q}"
            assert: [{type: regex, value: "{pat}"}]
    """,
    )
    assert "d.csv:3" in e.message and "case d-1" in e.message and "'(open'" in e.message


def test_case_sources_read_through_the_tabular_reader(tmp_path):
    """A quoted field over two lines: the case names the line its row starts on; `every` and `limit` pick rows."""
    (tmp_path / "d.csv").write_text('q,a\nx,"two\nlines"\ny,b\nz,c\n', encoding="utf-8")
    text = CSV_SUITE
    s = load_suite(write(tmp_path, text))
    assert [c.id for c in s.cases] == ["d-0", "d-1", "d-2"] and s.cases[0].checks[0].params["value"] == "two\nlines"
    assert [c.where.rsplit(" ", 1)[1] for c in s.cases] == ["(d.csv:2)", "(d.csv:4)", "(d.csv:5)"]
    picked = load_suite(write(tmp_path, text.replace("file: d.csv", "file: d.csv\n        every: 2\n        limit: 1")))
    assert [c.vars["q"] for c in picked.cases] == ["x"]


def test_bad_jsonl_row_names_file_and_line(tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"q": "a"}\n{"q": \n', encoding="utf-8")
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - file: rows.jsonl
            input: "{q}"
            assert: [{type: is-json}]
    """,
    )
    assert "rows.jsonl:2" in e.message


def test_unknown_case_file_type(tmp_path):
    (tmp_path / "d.txt").write_text("hello\n", encoding="utf-8")
    e = error_of(
        tmp_path,
        """
        name: t
        cases:
          - {file: d.txt, input: x, assert: [{type: is-json}]}
    """,
    )
    assert "s.yaml:4" in e.message and "d.txt" in e.message and ".jsonl" in e.hint


def test_the_registry_refuses_a_second_type_of_the_same_name():
    from evalkit.suites.assertions import REGISTRY, assertion

    with pytest.raises(ValueError, match="registered twice"):
        assertion("equals")(lambda out, *, value: None)
    with pytest.raises(ValueError, match="needs"):
        assertion("nothing-yet", needs="magic")
    assert "nothing-yet" not in REGISTRY


# -- gate block and groups (issue 21) ------------------------------------------------------------------------------


def test_gate_block_and_groups_load(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"q": f"Q{i}", "src": f"s{i // 2}"}) + "\n" for i in range(4)), encoding="utf-8")
    suite = load_suite(
        write(
            tmp_path,
            """
            name: t
            gate: {metric: pass_rate, tags: [a], critical: [b], allowed_drop: 0.02, alpha: 0.1}
            cases:
              - id: one
                input: hi
                group: greet
                tags: [a, b]
                assert: [{type: is-json}]
              - file: rows.jsonl
                id: "r{_row}"
                input: "{q}"
                group: "{src}"
                assert: [{type: is-json}]
            """,
        )
    )
    assert suite.gate == {"metric": "pass_rate", "tags": ["a"], "critical": ["b"], "allowed_drop": 0.02, "alpha": 0.1}
    assert [c.group for c in suite.cases] == ["greet", "s0", "s0", "s1", "s1"]
    assert load_suite(REPO / "suites" / "sanity.yaml").gate["critical"] == ["critical"]


@pytest.mark.parametrize(
    "gate,words",
    [
        ("{tags: [nope]}", ["s.yaml:3", "gate.tags[0]", "'nope'", "tags in this suite: a"]),
        ("{critical: [a, zz]}", ["s.yaml:3", "gate.critical[1]", "'zz'"]),
        ("{alpha: 2}", ["s.yaml:3", "gate.alpha", "2"]),
        ("{metric: acc}", ["s.yaml:3", "gate.metric"]),
        ("{allowed: 0.1}", ["s.yaml:3", "allowed", "misspelt"]),
    ],
)
def test_bad_gate_blocks_are_named_by_file_line(tmp_path, gate, words):
    e = error_of(
        tmp_path,
        f"""
        name: t
        gate: {gate}
        cases:
          - id: x
            input: hi
            tags: [a]
            assert: [{{type: is-json}}]
        """,
    )
    for w in words:
        assert w in f"{e.message} {e.hint}", (w, e.message)
