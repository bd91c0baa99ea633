"""Examples: answer-only labels, the all-masked batch trap, over-long prompts, batch plans."""

import pytest

from finetune import data as D
from workbench.errors import UserError
from workbench.models import load_hf


@pytest.fixture(scope="module")
def tok(tiny_model_dir):
    return load_hf(str(tiny_model_dir))[1]


def test_labels_cover_exactly_the_answer(tok):
    ex = D.tokenize_pairs([("What is X?", "X is a class.")], tok, template="qa")[0]
    answer = [t for t, lab in zip(ex.input_ids, ex.labels) if lab != D.IGNORE]
    assert tok.decode(answer) == " X is a class." + tok.eos_token
    prompt = [t for t, lab in zip(ex.input_ids, ex.labels) if lab == D.IGNORE]
    assert tok.decode(prompt) == "Question: What is X?\nAnswer:"
    full = D.tokenize_pairs([("What is X?", "X is a class.")], tok, template="qa", train_on_prompt=True)[0]
    assert full.labels == full.input_ids


def test_chat_template_prompt(tok):
    ex = D.tokenize_pairs([("hi", "hello")], tok, template="chat")[0]
    prompt = tok.decode([t for t, lab in zip(ex.input_ids, ex.labels) if lab == D.IGNORE])
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_max_length_shorter_than_every_prompt(tok):
    with pytest.raises(UserError, match="shorter than every prompt") as e:
        D.tokenize_pairs(
            [("a long question about the BeastAttack class", "yes")] * 3, tok, template="alpaca", max_length=8
        )
    assert "max_length" in e.value.hint


def test_all_masked_batch_stops_with_the_example(tok):
    long_q = "Explain the BeastAttack class in full detail " * 8
    pairs = [(long_q, "It attacks.")] * 2 + [("Short?", "Yes.")] * 6
    examples = D.tokenize_pairs(pairs, tok, template="qa", max_length=40)
    batches = D.plan_batches(examples, 2, seed=0, epoch=0)  # length grouping puts both long ones together
    with pytest.raises(UserError) as e:
        D.check_batches(batches, examples, tok)
    assert "every label in batch" in e.value.message and "Explain the BeastAttack class" in e.value.message
    assert "data row 0" in e.value.message or "data row 1" in e.value.message


def test_no_answer_field(tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text('{"text": "just text"}\n')
    with pytest.raises(UserError, match="no answer field"):
        D.read_pairs(str(f))


def test_plan_is_seeded_and_groups_lengths(tok):
    pairs = [("q" * (i % 17 + 1), "a " * (i % 23 + 1)) for i in range(200)]
    ex = D.tokenize_pairs(pairs, tok, template="qa")
    a = D.plan_batches(ex, 8, seed=1, epoch=0)
    assert a == D.plan_batches(ex, 8, seed=1, epoch=0) and a != D.plan_batches(ex, 8, seed=1, epoch=1)
    assert sorted(i for b in a for i in b) == list(range(200))

    def padding(batches):
        return sum(
            len(b) * max(len(ex[i].input_ids) for i in b) - sum(len(ex[i].input_ids) for i in b) for b in batches
        )

    assert padding(a) < 0.2 * padding(D.plan_batches(ex, 8, seed=1, epoch=0, group_by_length=False))


def test_packing_keeps_every_token(tok):
    ex = D.tokenize_pairs([(f"q{i}", f"answer {i}") for i in range(30)], tok, template="qa")
    packed = D.pack(ex, 32)
    assert all(len(p.input_ids) == 32 for p in packed[:-1])
    assert [t for p in packed for t in p.input_ids] == [t for e in ex for t in e.input_ids]
