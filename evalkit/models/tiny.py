"""A tiny random Llama with a tokenizer trained here on shipped data: fast tests through the users' loading path."""
from __future__ import annotations

import csv
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _corpus() -> list[str]:
    data = Path(__file__).resolve().parents[2] / "data" / "enlighten-instruct" / "TrainData.csv"
    texts = ["Question: What is the capital of Mexico?\nAnswer: Mexico City."]
    if data.exists():
        with open(data, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                texts.append(f"Question: {row['Q']}\nAnswer: {row['A']}")
    ko = Path(__file__).resolve().parents[2] / "data" / "korean-instruct" / "ko_instruct.jsonl"
    if ko.exists():
        texts += ko.read_text(encoding="utf-8").splitlines()
    return texts


def build_tiny_model(out_dir: str | Path, *, seed: int = 0, vocab_size: int = 2048, hidden: int = 64,
                     layers: int = 2, heads: int = 4) -> Path:
    """Write a random LlamaForCausalLM (≈0.4 M params) and a byte-level BPE tokenizer to `out_dir`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(_corpus(), trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>", eos_token="<|im_end|>",
                                  pad_token="<pad>", unk_token=None)
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(out)

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                         max_position_embeddings=512, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, tie_word_embeddings=True)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(out)
    return out
