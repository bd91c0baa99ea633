"""Behaviour pinned across refactors: the CLIs' JSON on shipped data must stay byte-identical to tests/golden/.

Only what changes from run to run (ids, timestamps, durations, temp paths, the store URL) is taken out first; every
figure, verdict and reason code stays. `WB_UPDATE_GOLDEN=1 pytest tests/test_golden.py` rewrites the files, which is
only right when a change of behaviour is intended (say why in the commit).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
ENL = Path("data") / "enlighten-instruct"  # relative: the terminal output must not depend on the clone's folder
# keys whose values differ between two runs of the same command
VOLATILE = {
    "run_id",
    "created_at",
    "started_at",
    "finished_at",
    "duration_s",
    "seconds",
    "elapsed_s",
    "timings",
    "timings_s",
    "store",
    "path",
    "out",
    "outputs",
    "report_path",
    "source",
    "wall_s",
    "cpu_s",
    "when",
    "ts",
    "latency_ms",
    "latency_s",
    "git",
    "host",
    "version_info",
    "peak_rss_mb",
}


def _scrub(obj, tmp: str):
    if isinstance(obj, dict):
        return {k: _scrub(v, tmp) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_scrub(v, tmp) for v in obj]
    if isinstance(obj, str):
        return obj.replace(tmp, "<tmp>").replace(str(REPO), "<repo>")
    return obj


def _run(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _check(name: str, obj, tmp: Path) -> None:
    text = json.dumps(_scrub(obj, str(tmp)), indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    path = GOLDEN / name
    if os.environ.get("WB_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with WB_UPDATE_GOLDEN=1 once"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.fixture()
def env(tmp_path):
    e = dict(os.environ, WORKBENCH_STORE=str(tmp_path / "store.db"), COLUMNS="100")
    e.pop("WB_UPDATE_GOLDEN", None)
    return e


def test_audit_json_summary_verdicts_and_reason_codes(tmp_path, env):
    audit = (
        f"curate audit {ENL}/TrainData.csv --test {ENL}/TestData.csv --out {tmp_path}/audit --quiet --no-record --json"
    )
    r = _run(audit.split(), REPO, env)
    assert r.returncode == 0, r.stderr
    _check("audit_stdout.json", json.loads(r.stdout), tmp_path)
    report = json.loads((tmp_path / "audit" / "report.json").read_text(encoding="utf-8"))
    _check("audit_report.json", report, tmp_path)
    import pyarrow.parquet as pq

    records = pq.read_table(tmp_path / "audit" / "records.parquet").to_pylist()
    _check("audit_records.json", records, tmp_path)


def test_audit_korean_reason_codes(tmp_path, env):
    audit = f"curate audit data/korean-instruct/ko_instruct.jsonl --out {tmp_path}/ko --quiet --no-record --json"
    r = _run(audit.split(), REPO, env)
    assert r.returncode == 0, r.stderr
    _check("audit_ko_stdout.json", json.loads(r.stdout), tmp_path)


def test_clean_kept_and_rejected(tmp_path, env):
    out = tmp_path / "clean.csv"
    r = _run(
        ["curate", "clean", str(ENL / "TrainData.csv"), "--recipe", "curate/recipes/enlighten.yaml", "--out", str(out)],
        REPO,
        env,
    )
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in tmp_path.iterdir() if p.name != "store.db")
    with open(out, newline="", encoding="utf-8") as f:
        kept = list(csv.reader(f))
    _check(
        "clean.json", {"stdout": r.stdout, "files": files, "kept_rows": len(kept) - 1, "kept_first": kept[:3]}, tmp_path
    )


@pytest.mark.slow
def test_run_sanity_and_mc_suites(tmp_path, env):
    r = _run(
        [
            "evalkit",
            "run",
            "suites/sanity.yaml",
            "suites/enlighten-mc.yaml",
            "--model",
            "default",
            "--quiet",
            "--json",
            str(tmp_path / "results.json"),
        ],
        REPO,
        env,
    )
    assert r.returncode in (0, 3), r.stderr
    _check("run_results.json", json.loads((tmp_path / "results.json").read_text(encoding="utf-8")), tmp_path)


def test_ratings_json(tmp_path, env):
    for method in ("bt", "elo"):
        out = tmp_path / f"{method}.json"
        r = _run(
            [
                "evalkit",
                "ratings",
                "tests/golden/battles.csv",
                "--method",
                method,
                "--bootstrap",
                "200",
                "--seed",
                "0",
                "--json",
                str(out),
            ],
            REPO,
            env,
        )
        assert r.returncode == 0, r.stderr
        _check(f"ratings_{method}.json", {"stdout": r.stdout, "json": json.loads(out.read_text())}, tmp_path)


def test_agree_json(tmp_path, env):
    hr = Path("data") / "human-ratings"
    for name, extra in (("pairwise", []), ("single", ["--level", "interval"])):
        out = tmp_path / f"{name}.json"
        r = _run(["evalkit", "agree", str(hr / f"{name}.csv"), "--json", str(out), *extra], REPO, env)
        assert r.returncode == 0, r.stderr
        _check(f"agree_{name}.json", {"stdout": r.stdout, "json": json.loads(out.read_text())}, tmp_path)
