"""The runner on the tiny model: rerun evaluates nothing, a killed run resumes, errors stay errors, CLI outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa

from evalkit.suites import load_suite, run_suites
from workbench.errors import GATE_FAILED, UserError
from workbench.store import open_store, schema

REPO = Path(__file__).resolve().parents[2]
TEST_CSV = REPO / "data" / "enlighten-instruct" / "TestData.csv"


def mixed_suite(tmp_path: Path) -> Path:
    p = tmp_path / "mixed.yaml"
    p.write_text(
        f"""
name: mixed
defaults:
  max_new_tokens: 8
cases:
  - file: {TEST_CSV}
    limit: 12
    id: "mc-{{_row}}"
    input: "Question: {{Question}}\\nAnswer:"
    tags: ["{{class}}"]
    assert:
      - {{type: choice, choices: ["{{a}}", "{{b}}", "{{c}}", "{{d}}"], answer: "{{Answer}}"}}
  - id: gen-1
    input: What is the capital of Mexico?
    tags: [critical]
    assert: [{{type: icontains, value: Mexico City}}]
  - id: gen-2
    input: Say hi.
    assert: [{{type: length, max: 1000}}]
  - id: gen-3
    messages: [{{role: user, content: "Return JSON."}}]
    max_new_tokens: 5
    assert: [{{type: not-is-json}}]
""",
        encoding="utf-8",
    )
    return p


def gen_suite(tmp_path: Path, n: int) -> Path:
    rows = tmp_path / "prompts.jsonl"
    rows.write_text(
        "".join(json.dumps({"k": i, "q": f"Question number {i}: what is {i} plus {i}?"}) + "\n" for i in range(n)),
        encoding="utf-8",
    )
    p = tmp_path / "gen.yaml"
    p.write_text(
        """
name: gen
defaults: {max_new_tokens: 24, chat: false}
cases:
  - file: prompts.jsonl
    id: "g{k}"
    input: "{q}"
    assert: [{type: length, min: 0}]
""",
        encoding="utf-8",
    )
    return p


def test_rerun_of_unchanged_suite_evaluates_nothing(tiny_model, store, tmp_path):
    path = mixed_suite(tmp_path)
    first_stats: dict = {}
    first = run_suites([path], [tiny_model], store=store, stats=first_stats)
    run = first["runs"][0]
    assert first_stats["computed"] == 12 * 4 + 3 and first_stats["cached"] == 0
    assert run["metrics"]["total"] == 15 and run["metrics"]["choice_cases"] == 12
    assert set(run["metrics"]) >= {"pass_rate", "passed", "failed", "errors", "acc", "acc_norm"}
    acc = sum(c["acc"] for c in run["cases"] if "acc" in c) / 12
    assert run["metrics"]["acc"] == pytest.approx(acc)

    again_stats: dict = {}
    again = run_suites([path], [tiny_model], store=store, stats=again_stats)
    assert again_stats == {"computed": 0, "cached": 12 * 4 + 3}
    assert again["runs"][0]["run_id"] != run["run_id"]
    strip = lambda cases: [{k: v for k, v in c.items() if k != "latency_s"} for c in cases]  # noqa: E731
    assert strip(again["runs"][0]["cases"]) == strip(run["cases"])
    with store.engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(schema.case_results)).scalar()
    assert n == 30


def test_killed_run_resumes_where_it_stopped(tiny_model_dir, tmp_path):
    n = 160
    suite = gen_suite(tmp_path, n)
    db = tmp_path / "resume.db"
    open_store(db).dispose()  # migrate before the child starts, so polling sees the tables
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evalkit",
            "run",
            str(suite),
            "--model",
            str(tiny_model_dir),
            "--store",
            str(db),
            "--batch-size",
            "4",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = sa.create_engine(f"sqlite:///{db}")

    def count(table) -> int:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()

    try:
        deadline = time.time() + 240
        while time.time() < deadline and child.poll() is None and count(schema.case_results) < 12:
            time.sleep(0.05)
        assert child.poll() is None, f"the run ended before it could be killed: {child.stderr.read()[-2000:]}"
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    done_cases, cached_outputs = count(schema.case_results), count(schema.outputs)
    assert 12 <= done_cases < n and cached_outputs < n
    with engine.connect() as conn:
        killed = conn.execute(sa.select(schema.runs.c.id, schema.runs.c.status)).all()
    engine.dispose()
    assert len(killed) == 1 and killed[0].status == "running"

    from workbench.models import load_model

    st = open_store(db)
    stats: dict = {}
    res = run_suites([suite], [load_model(str(tiny_model_dir))], store=st, stats=stats)
    run = res["runs"][0]
    assert run["run_id"] == killed[0].id and run["stats"]["resumed"] is True
    assert run["stats"]["cases_from_store"] == done_cases
    assert stats["computed"] == n - cached_outputs  # only prompts never answered reach the model
    assert stats["cached"] == cached_outputs - done_cases  # answered, killed before their cases were stored
    assert run["metrics"]["total"] == n and [c["id"] for c in run["cases"]] == [f"g{i}" for i in range(n)]
    assert st.run(killed[0].id)["status"] == "done"

    stats = {}
    run_suites([suite], [load_model(str(tiny_model_dir))], store=st, stats=stats)
    assert stats == {"computed": 0, "cached": n}
    st.dispose()


def test_unreachable_endpoint_is_error_not_fail(store, tmp_path):
    from tests.conftest import free_port
    from workbench.models import load_model

    path = mixed_suite(tmp_path)
    dead = load_model(f"openai:http://127.0.0.1:{free_port()}/v1#nobody", max_retries=0, backoff=0.0, timeout=2)
    run = run_suites([path], [dead], store=store)["runs"][0]
    assert run["metrics"]["errors"] == 15 and run["metrics"]["failed"] == 0 and run["metrics"]["passed"] == 0
    assert all(c["status"] == "error" and "127.0.0.1" in c["error"] for c in run["cases"])


def test_cli_outputs_follow_the_stable_interface(tiny_model_dir, tmp_path):
    from evalkit.cli import main

    path = mixed_suite(tmp_path)
    out = tmp_path / "out"
    code = main(
        [
            "run",
            str(path),
            "--model",
            str(tiny_model_dir),
            "--store",
            str(tmp_path / "cli.db"),
            "--quiet",
            "--json",
            str(out / "results.json"),
            "--junit",
            str(out / "junit.xml"),
            "--markdown",
            str(out / "s.md"),
        ]
    )
    assert code == 0
    res = json.loads((out / "results.json").read_text())
    (run,) = res["runs"]
    assert {"suite", "model", "metrics", "cases"} <= set(run) and run["suite"] == "mixed"
    m = run["metrics"]
    assert {"acc", "acc_norm", "pass_rate", "passed", "failed", "errors"} <= set(m)
    assert m["passed"] + m["failed"] + m["errors"] == len(run["cases"]) == 15
    assert all({"id", "status", "output", "tags", "assertions"} <= set(c) for c in run["cases"])

    root = ET.parse(out / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == 15 and int(root.get("tests")) == 15
    assert len(root.findall(".//failure")) == m["failed"] == int(root.get("failures"))
    assert {c.get("name") for c in cases} == {c["id"] for c in run["cases"]}
    md = (out / "s.md").read_text()
    assert "| mixed |" in md and f"{100 * m['pass_rate']:.1f}%" in md


def test_heldout_check_warns_and_strict_refuses(tiny_model, store, tmp_path):
    question = (
        "What does the gameObject that uses the BeastAttack script need to have on it before it can attack the player?"
    )
    train = tmp_path / "train.csv"
    train.write_text(
        f'Q,A\n"{question}",A Collider.\n"Unrelated question about cooking pasta at home?",Boil water.\n',
        encoding="utf-8",
    )
    suite = tmp_path / "h.yaml"
    suite.write_text(
        f"""
name: held
defaults: {{max_new_tokens: 4}}
cases:
  - {{id: leaked, input: "{question}", assert: [{{type: length, min: 0}}]}}
  - {{id: fresh, input: "Name a colour of the rainbow that starts with the letter v, please.", assert: [{{type: length, min: 0}}]}}
""",
        encoding="utf-8",
    )
    res = run_suites([suite], [tiny_model], store=store, train=str(train))
    assert res["heldout"]["contaminated"] == ["held/leaked"]
    with pytest.raises(UserError) as e:
        run_suites([suite], [tiny_model], store=store, train=str(train), strict=True)
    assert e.value.code == GATE_FAILED and "held/leaked" in e.value.message


def test_python_assertion_needs_allow_code(tiny_model, store, tmp_path):
    suite = tmp_path / "py.yaml"
    suite.write_text(
        """
name: py
defaults: {max_new_tokens: 4}
cases:
  - {id: c, input: hi, assert: [{type: python, value: "len(output) >= 0"}]}
""",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match="allow-code"):
        run_suites([suite], [tiny_model], store=store)
    assert run_suites([suite], [tiny_model], store=store, allow_code=True)["runs"][0]["metrics"]["passed"] == 1


def test_packed_loglikelihood_matches_one_forward_per_request(tiny_model):
    """The packed path (one row per shared context) against a plain unbatched forward of ctx + continuation."""
    import torch

    suite = load_suite(REPO / "suites" / "enlighten-mc.yaml")
    reqs = [(c.prompt, " " + ch) for c in suite.cases[:6] for ch in c.choice_check.params["choices"]]
    reqs += [("Question: short", " x"), ("Trailing space ", "moves"), ("", "no context at all")]
    got = tiny_model.loglikelihood(reqs, batch_size=5)
    for (ctx, cont), (lp, greedy) in zip(reqs, got):
        c, k = tiny_model._encode_pair(ctx, cont)
        with torch.inference_mode():
            logits = tiny_model.model(input_ids=torch.tensor([c + k])).logits[0]
        rows = torch.log_softmax(logits[len(c) - 1 : len(c) + len(k) - 1].float(), -1)
        want = rows.gather(1, torch.tensor(k)[:, None]).sum().item()
        assert lp == pytest.approx(want, abs=1e-4)
        assert greedy == bool((rows.argmax(-1) == torch.tensor(k)).all())


def test_per_case_timeout_is_an_error(tiny_model, store, tmp_path):
    suite = tmp_path / "t.yaml"
    suite.write_text(
        """
name: timeouts
defaults: {max_new_tokens: 16, chat: false}
cases:
  - {id: too-slow, input: "Count to ten:", timeout_s: 0.000001, assert: [{type: length, min: 0}]}
  - {id: relaxed, input: "Count to five:", assert: [{type: length, min: 0}]}
""",
        encoding="utf-8",
    )
    run = run_suites([suite], [tiny_model], store=store)["runs"][0]
    by_id = {c["id"]: c for c in run["cases"]}
    assert by_id["too-slow"]["status"] == "error" and "timed out" in by_id["too-slow"]["error"]
    assert by_id["relaxed"]["status"] == "pass"
    assert run["metrics"]["errors"] == 1 and run["metrics"]["failed"] == 0


def test_runs_and_compare_on_postgresql(tiny_model, pg_store, tmp_path):
    from evalkit.suites import compare_runs

    path = mixed_suite(tmp_path)
    first = run_suites([path], [tiny_model], store=pg_store)["runs"][0]
    stats: dict = {}
    again = run_suites([path], [tiny_model], store=pg_store, stats=stats)["runs"][0]
    assert stats == {"computed": 0, "cached": 12 * 4 + 3}
    rep = compare_runs(pg_store, first["run_id"], again["run_id"])
    assert rep["n"] == 15 and rep["delta"] == 0.0 and not rep["gate_failed"]


def test_llm_rubric_judges_a_chunk_in_one_call(tiny_model_dir, store, tmp_path, monkeypatch):
    """Rubric cases of a chunk go to the judge as one batch; verdicts land on their own cases. Only the judge's
    reply text is fixed (a random tiny model writes no parseable verdict)."""
    from workbench.models import Generation, load_model

    model, judge = load_model(str(tiny_model_dir)), load_model(str(tiny_model_dir))
    calls = []

    def judge_generate(prompts, **kw):
        calls.append(len(prompts))
        return [Generation(text="Rating: [[8]]" if "Mexico" in str(p) else "Rating: [[2]]") for p in prompts]

    monkeypatch.setattr(judge, "generate", judge_generate)
    suite = tmp_path / "r.yaml"
    suite.write_text(
        """
name: rubric
defaults: {max_new_tokens: 4, judge: the-judge}
cases:
  - {id: mexico, input: "What is the capital of Mexico?", assert: [{type: llm-rubric, value: Names Mexico City}]}
  - {id: sum, input: "What is 2+2?", assert: [{type: llm-rubric, value: Says four, threshold: 7}]}
""",
        encoding="utf-8",
    )
    from evalkit.suites import runner

    judges = runner._Judges(None, {model.name: model, "the-judge": judge})
    run = runner.run_suite(load_suite(suite), model, store, judges=judges)
    assert calls == [2]
    assert {c["id"]: c["status"] for c in run["cases"]} == {"mexico": "pass", "sum": "fail"}
    assert run["cases"][0]["assertions"][0]["data"]["judge_score"] == 8.0


def test_plan_splits_stored_choice_and_generation_cases(tmp_path):
    """The plan: stored cases are done; choice-only cases need loglikelihoods; the rest are generated, grouped by
    generation parameters, shortest prompt first."""
    from evalkit.suites.runner import plan_cases

    suite = load_suite(mixed_suite(tmp_path))
    plan = plan_cases(suite.cases, {"mc-0": {}, "gen-2": {}})
    assert [c.id for c in plan.choice_only] == [f"mc-{i}" for i in range(1, 12)]
    assert [[c.id for c in g] for g in plan.generate] == [["gen-1"], ["gen-3"]]
    assert len(plan.todo) == 13


def _table_row(stdout: str, first_cell: str) -> dict[str, str]:
    """The results table as the CLI prints it: {column: cell} of the row whose first cell is `first_cell`."""
    import re

    split = lambda line: [c.strip() for c in re.split("[│┃]", line)[1:-1]]  # noqa: E731
    lines = stdout.splitlines()
    header = split(next(ln for ln in lines if "resumed" in ln and "┃" in ln))
    row = split(next(ln for ln in lines if ln.startswith("│") and split(ln)[0] == first_cell))
    return dict(zip(header, row))


@pytest.mark.parametrize("left", ["running", "interrupted"])
def test_a_resumed_run_says_how_many_cases_came_from_the_store(tiny_model, tiny_model_dir, tmp_path, capsys, left):
    """A run left unfinished ("running"; "interrupted" once the store has seen its process die) is resumed, and the
    table counts its stored cases as resumed (they call no model: cached and computed count model calls)."""
    from evalkit.cli import main

    suite, db = gen_suite(tmp_path, 6), tmp_path / "r.db"
    st = open_store(db)
    run_id = run_suites([suite], [tiny_model], store=st)["runs"][0]["run_id"]
    with st.engine.begin() as conn:  # as a killed process leaves it: unfinished, two cases never stored
        conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(status=left))
        conn.execute(schema.case_results.delete().where(schema.case_results.c.case_id.in_(["g0", "g5"])))
    st.dispose()
    capsys.readouterr()
    assert main(["run", str(suite), "--model", str(tiny_model_dir), "--store", str(db), "--quiet"]) == 0
    out = capsys.readouterr().out
    row = _table_row(out, "gen")
    assert (row["cases"], row["resumed"], row["cached"], row["computed"], row["run"]) == (
        "6",
        "4",
        "2",
        "0",
        run_id[:8],
    )
    assert "4 cases resumed from an interrupted run" in out
    st = open_store(db)
    assert st.run(run_id)["status"] == "done" and len(st.runs(kind="suite")) == 1
    st.dispose()


BAD_OPTIONS = [
    ("run", "--limit", "-1"),
    ("run", "--limit", "0"),
    ("run", "--limit", "two"),
    ("run", "--batch-size", "0"),
    ("run", "--ll-batch-size", "-4"),
    ("run", "--timeout", "0"),
    ("run", "--timeout", "nan"),
    ("run", "--alpha", "1.5"),
    ("compare", "--alpha", "0"),
    ("compare", "--seed", "-1"),
]


@pytest.mark.parametrize("command,option,value", BAD_OPTIONS, ids=[" ".join(o) for o in BAD_OPTIONS])
def test_numeric_options_are_range_checked_before_anything_runs(
    tiny_model_dir, tmp_path, capsys, command, option, value
):
    from evalkit.cli import main

    db = tmp_path / "o.db"
    where = [str(gen_suite(tmp_path, 2)), "--model", str(tiny_model_dir)] if command == "run" else ["aaaa", "bbbb"]
    with pytest.raises(SystemExit) as e:
        main([command, *where, "--store", str(db), f"{option}={value}"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"argument {option}: " in err and value in err and "Traceback" not in err
    assert not db.exists()  # refused at parse time: no store was opened


def test_the_api_refuses_a_limit_below_one_too(tiny_model, store, tmp_path):
    with pytest.raises(UserError, match="limit must be at least 1"):
        run_suites([gen_suite(tmp_path, 3)], [tiny_model], store=store, limit=-1)


@pytest.mark.parametrize(
    "option,value,named",
    [
        ("--json", "/proc/x/r.json", "/proc/x"),
        ("--junit", "{d}/reports", "is a folder"),
        ("--junit", "{d}/reports", "reports/junit.xml"),  # the hint names a file of the report's kind
        ("--markdown", "{d}/reports/", "reports/summary.md"),
        ("--markdown", "{d}/taken/r.md", "taken is a file"),
        ("--baseline", "nope", "no suite run 'nope'"),
    ],
)
def test_outputs_and_baseline_are_checked_before_the_run(tiny_model_dir, tmp_path, capsys, option, value, named):
    """A report that can't be written, or a baseline that isn't there, is refused before any case runs."""
    from evalkit.cli import main

    (tmp_path / "reports").mkdir()
    (tmp_path / "taken").write_text("keep me\n")
    db = tmp_path / "b.db"
    argv = ["run", str(gen_suite(tmp_path, 2)), "--model", str(tiny_model_dir), "--store", str(db), "--quiet"]
    assert main([*argv, option, value.format(d=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    st = open_store(db)
    assert st.runs() == [] and (tmp_path / "taken").read_text() == "keep me\n"
    st.dispose()


# -- repeats and flaky cases (issue 21) ----------------------------------------------------------------------------


def _sampled_suite(tmp_path: Path, temperature: float) -> Path:
    p = tmp_path / f"sampled-{temperature:g}.yaml"
    p.write_text(
        f"""
name: sampled
defaults: {{max_new_tokens: 6, chat: false, temperature: {temperature}, seed: 10}}
cases:
  - id: e
    input: "Say something:"
    assert: [{{type: icontains, value: e}}]
  - id: any
    input: "Anything:"
    assert: [{{type: length, min: 0}}]
  - file: {TEST_CSV}
    limit: 2
    id: "mc-{{_row}}"
    input: "Question: {{Question}}\\nAnswer:"
    assert:
      - {{type: choice, choices: ["{{a}}", "{{b}}", "{{c}}", "{{d}}"], answer: "{{Answer}}"}}
""",
        encoding="utf-8",
    )
    return p


def test_repeats_record_seeds_pass_rates_and_flaky_cases(tiny_model, store, tmp_path):
    res = run_suites([_sampled_suite(tmp_path, 1.0)], [tiny_model], store=store, repeats=4)
    (run,) = res["runs"]
    assert run["repeats"]["k"] == 4 and run["repeats"]["repeated_cases"] == 2
    assert any("multiple-choice" in s for s in run["repeats"]["skipped"])
    by_id = {c["id"]: c for c in run["cases"]}
    for cid in ("e", "any"):
        c = by_id[cid]
        statuses = [r["status"] for r in c["repeats"]]
        assert [r["seed"] for r in c["repeats"]] == [10, 11, 12, 13]
        assert c["pass_rate"] == statuses.count("pass") / 4
        assert c["pass_all"] == (c["pass_rate"] == 1) and c["pass_any"] == (c["pass_rate"] > 0)
        assert c["flaky"] == (0 < c["pass_rate"] < 1)
        assert c["status"] == ("pass" if c["pass_all"] else "fail")
    assert len({r["output"] for r in by_id["any"]["repeats"]}) > 1  # sampled: different seeds, different answers
    assert by_id["mc-0"]["flaky"] is False and len(by_id["mc-0"]["repeats"]) == 1
    assert run["metrics"]["flaky"] == sum(c["flaky"] for c in run["cases"])
    # stored: the compare reads the same pass rates back
    from evalkit.suites.records import case_statuses

    stored = case_statuses(store, run["run_id"])
    assert stored["e"]["details"]["pass_rate"] == by_id["e"]["pass_rate"]


def test_repeats_ask_the_judge_again_so_a_flaky_grader_shows(tiny_model_dir, store, tmp_path, monkeypatch):
    """Issue 21: with --repeats an llm-rubric grade is repeated too; each repeat's judge call carries the repeat's
    seed (not the cached verdict of the first), so a judge that samples shows up as a flaky case. Only the judge's
    reply is fixed: it says 8 on even seeds and 2 on odd ones, as an endpoint sampling its verdict would."""
    from evalkit.suites import runner
    from workbench.models import Generation, load_model

    model, judge = load_model(str(tiny_model_dir)), load_model(str(tiny_model_dir))
    seeds = []

    def judge_generate(prompts, **kw):
        seeds.append(kw.get("seed"))
        return [Generation(text="Rating: [[8]]" if kw.get("seed", 0) % 2 == 0 else "Rating: [[2]]") for _ in prompts]

    monkeypatch.setattr(judge, "generate", judge_generate)
    suite = tmp_path / "flaky-judge.yaml"
    suite.write_text(
        """
name: flaky-judge
defaults: {max_new_tokens: 4, chat: false, temperature: 0.7, seed: 10, judge: the-judge}
cases:
  - {id: capital, input: "What is the capital of Mexico?", assert: [{type: llm-rubric, value: Names Mexico City}]}
""",
        encoding="utf-8",
    )
    judges = runner._Judges(None, {model.name: model, "the-judge": judge})
    run = runner.run_suite(load_suite(suite), model, store, judges=judges, repeats=3)
    (case,) = run["cases"]
    assert sorted(seeds) == [10, 11, 12]  # one judge call per repeat, each with its repeat's seed
    assert [r["status"] for r in case["repeats"]] == ["pass", "fail", "pass"]
    assert case["flaky"] is True and case["pass_rate"] == 2 / 3


def test_repeats_are_skipped_at_temperature_zero_and_said_so(tiny_model, store, tmp_path):
    res = run_suites([_sampled_suite(tmp_path, 0.0)], [tiny_model], store=store, repeats=3)
    (run,) = res["runs"]
    assert run["repeats"]["repeated_cases"] == 0
    assert any("temperature 0 on a deterministic backend" in s for s in run["repeats"]["skipped"])
    assert all(len(c["repeats"]) == 1 and c["pass_rate"] in (0.0, 1.0) and not c["flaky"] for c in run["cases"])


def test_merge_repeats_by_hand():
    from evalkit.suites.runner import merge_repeats

    rs = [
        {"id": "x", "status": s, "score": sc, "output": o, "tags": [], "latency_s": 0.1}
        for s, sc, o in (("pass", 1.0, "a"), ("fail", 0.0, "b"), ("pass", 1.0, "c"))
    ]
    m = merge_repeats(rs, [0, 1, 2])
    assert (m["status"], m["pass_rate"], m["pass_all"], m["pass_any"], m["flaky"]) == ("fail", 2 / 3, False, True, True)
    assert m["score"] == pytest.approx(2 / 3) and [r["seed"] for r in m["repeats"]] == [0, 1, 2]
    assert merge_repeats(rs[:1], [5])["flaky"] is False


def test_run_gate_fails_with_exit_3_and_says_why(tiny_model_dir, tmp_path, capsys):
    """A stored baseline where every case passed; the tiny model fails them: --gate exits 3, the Markdown says why."""
    from evalkit.cli import main
    from evalkit.suites import records

    suite = tmp_path / "g.yaml"
    suite.write_text(
        "name: g\ngate: {tags: [facts], critical: [facts], alpha: 0.05}\ndefaults: {max_new_tokens: 4, chat: false}\n"
        "cases:\n"
        + "".join(
            f"  - {{id: c{i}, input: 'Q{i}', tags: [facts], assert: [{{type: icontains, value: zzzq}}]}}\n"
            for i in range(12)
        ),
        encoding="utf-8",
    )
    db = tmp_path / "gate.db"
    store = open_store(db)
    base = store.start_run("suite", "g", model="oracle", config={})
    records.record_cases(
        store,
        base,
        "g",
        "oracle",
        [
            {"id": f"c{i}", "tags": ["facts"], "output": "", "latency_s": 0.0, "status": "pass", "score": 1.0}
            for i in range(12)
        ],
    )
    records.finish_run(store, base, {}, {})
    store.dispose()
    md = tmp_path / "gate.md"
    argv = ["run", str(suite), "--model", str(tiny_model_dir), "--store", str(db), "--quiet", "--gate"]
    assert main([*argv, "--markdown", str(md)]) == GATE_FAILED
    out = capsys.readouterr().out
    assert "## Gate: **FAILED**" in out and "critical tag 'facts' dropped 100.0 points" in out
    assert "this suite can detect drops of" in out and "the observed -100.0 is beyond its noise" in out
    assert "Gate: **FAILED**" in md.read_text(encoding="utf-8")
    # the failed run is not accepted: a second gate compares with the oracle run again, and fails again
    assert main(argv) == GATE_FAILED
