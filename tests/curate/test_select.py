"""curate select: IFD against a direct transformers forward (HF's own loss), k-center greedy against brute force, the
share/count rule, and the three files with a manifest saying why."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from curate.select import answer_losses, ifd_scores, kcenter_order, keep_count, select
from curate.trainability import encode_pair
from workbench.errors import InputError, UserError

PAIRS = [
    ("What is the capital of Mexico?", "Mexico City."),
    ("What does the BeastAttack class do?", "It makes the beast attack the player with its strength."),
    ([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi"}], "Hi!"),
    ("Name three colours.", "Red, green and blue."),
    ("2+2?", "4"),
]


def _direct_loss(lm, ids: list[int], n_answer: int) -> float:
    """transformers' own causal-LM loss with the prompt labelled -100: the mean over the answer tokens."""
    import torch

    labels = [-100] * (len(ids) - n_answer) + ids[len(ids) - n_answer :]
    with torch.no_grad():
        return float(lm(input_ids=torch.tensor([ids]), labels=torch.tensor([labels])).loss)


def test_ifd_equals_a_direct_transformers_forward(tiny_model_dir):
    from workbench.models import load_hf

    lm, tok = load_hf(str(tiny_model_dir), dtype="float32", device="cpu")
    got = ifd_scores(PAIRS, lm, tok, template="chat", batch_size=3)  # batched and padded, longest first
    start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
    for i, (prompt, answer) in enumerate(PAIRS):
        p, a = encode_pair(prompt, answer, tok, "chat")
        cond = _direct_loss(lm, p + a, len(a))
        alone = _direct_loss(lm, [start, *a], len(a))
        assert got["conditioned"][i] == pytest.approx(cond, abs=1e-4)
        assert got["direct"][i] == pytest.approx(alone, abs=1e-4)
        assert got["ifd"][i] == pytest.approx(cond / alone, abs=1e-4)
    cut = ifd_scores(PAIRS[:1], lm, tok, template="chat", max_length=5)  # the prompt alone is longer: no answer token
    assert math.isnan(cut["ifd"][0])
    assert np.isnan(answer_losses(lm, [([1, 2, 3], 0)])[0])


def test_ifd_equals_wanas_on_the_tokens_it_scores(tiny_model_dir):
    """wana (an independent IFD: its own chat rendering, the answer tokenised alone, transformers' loss one record at
    a time) against ours with the answer's closing special tokens left out, as wana scores it."""
    from wana.adapters.logprob.transformers_cpu import TransformersCPU
    from wana.adapters.scoring.ifd import IFDScorer
    from wana.domain.example import Example, Message, Role

    from workbench.models import load_hf

    lm, tok = load_hf(str(tiny_model_dir), dtype="float32", device="cpu")
    plain = [(q, a) for q, a in PAIRS if isinstance(q, str)]
    ours = ifd_scores(plain, lm, tok, template="chat", batch_size=2, answer_end=False)
    theirs = IFDScorer(TransformersCPU(str(tiny_model_dir)))
    for i, (q, a) in enumerate(plain):
        got = {
            s.name: s.value for s in theirs.score(Example(str(i), (Message(Role.USER, q), Message(Role.ASSISTANT, a))))
        }
        assert ours["conditioned"][i] == pytest.approx(got["conditional_nll"], abs=1e-4)
        assert ours["direct"][i] == pytest.approx(got["unconditional_nll"], abs=1e-4)
        assert ours["ifd"][i] == pytest.approx(got["ifd"], abs=1e-4)
    with_end = ifd_scores(plain, lm, tok, template="chat", batch_size=2)  # the default also scores the end of turn
    assert not np.allclose(with_end["conditioned"], ours["conditioned"], atol=1e-4)


def test_kcenter_greedy_matches_brute_force():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    picks, dists = kcenter_order(X, 8)
    centroid = X.mean(axis=0)
    assert picks[0] == min(range(60), key=lambda i: np.linalg.norm(X[i] - centroid))
    for j in range(1, 8):  # each pick: the point whose nearest earlier pick is farthest, by direct enumeration
        far = max(range(60), key=lambda i: min(np.linalg.norm(X[i] - X[p]) for p in picks[:j]))
        assert picks[j] == far
        assert dists[j] == pytest.approx(min(np.linalg.norm(X[far] - X[p]) for p in picks[:j]))


@pytest.mark.parametrize(
    "keep,n,expected", [(0.2, 10, 2), (0.25, 10, 3), (1, 10, 10), (1.0, 7, 7), (3, 10, 3), (10, 10, 10), (1e-9, 5, 1)]
)
def test_keep_count(keep, n, expected):
    assert keep_count(keep, n) == expected


@pytest.mark.parametrize("keep", [0, -0.5, 11, 2.5, float("nan")])
def test_keep_count_refuses(keep):
    with pytest.raises(InputError):
        keep_count(keep, 10)


def _data(tmp_path, n: int = 12):
    rows = [
        {"question": f"What does item {i} do in the game?", "answer": f"Item {i} heals {i} points."} for i in range(n)
    ]
    rows[3]["answer"] = ""  # flagged by the quality signals (empty_answer)
    rows[7] = dict(rows[6])  # an exact duplicate of the record before it
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


def test_select_writes_subset_rejects_and_manifest(tiny_model_dir, tmp_path):
    path, rows = _data(tmp_path)
    for by in ("ifd", "quality", "diverse"):
        out = tmp_path / by
        m = select(path, keep=0.25, by=by, out=out, model=str(tiny_model_dir), template="qa")
        kept = [json.loads(x) for x in (out / "subset.jsonl").read_text().splitlines()]
        rejected = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
        assert len(kept) == m["kept"] == 3 and len(kept) + len(rejected) == len(rows)
        assert json.loads((out / "manifest.json").read_text()) == m
        chosen = [e["index"] for e in m["entries"] if e["kept"]]
        assert kept == [rows[i] for i in sorted(chosen)] and all(e["why"] for e in m["entries"])
        assert sorted(e["rank"] for e in m["entries"]) == list(range(1, len(rows) + 1))
    q = json.loads((tmp_path / "quality" / "manifest.json").read_text())
    last = {e["index"] for e in q["entries"][-2:]}
    assert last == {3, 7}  # the flagged and the duplicate go last
    ifd = json.loads((tmp_path / "ifd" / "manifest.json").read_text())
    kept = [e for e in ifd["entries"] if e["kept"]]
    below = sorted((e["score"] for e in ifd["entries"] if e["score"] is not None and e["score"] < 1), reverse=True)
    assert [e["score"] for e in kept] == below[:3]  # the highest IFD below 1 (Li et al. 2024 §2.3)


def test_select_bad_input(tiny_model_dir, tmp_path):
    path, _ = _data(tmp_path)
    with pytest.raises(UserError, match="larger than the set"):
        select(path, keep=50, by="quality", out=tmp_path / "o")
    with pytest.raises(UserError, match="no chat template"):
        from transformers import AutoTokenizer

        plain = tmp_path / "plain-model"
        import shutil

        shutil.copytree(tiny_model_dir, plain)
        cfg = json.loads((plain / "tokenizer_config.json").read_text())
        cfg.pop("chat_template", None)
        (plain / "tokenizer_config.json").write_text(json.dumps(cfg))
        (plain / "chat_template.jinja").unlink(missing_ok=True)
        assert not AutoTokenizer.from_pretrained(plain).chat_template
        select(path, keep=0.5, by="ifd", out=tmp_path / "o", model=str(plain), template="chat")
    assert not (tmp_path / "o").exists()
