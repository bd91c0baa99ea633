"""Answers from several models to the same prompts, side by side (base vs tuned)."""

from __future__ import annotations


def side_by_side(
    specs: list[str],
    prompts: list[str],
    *,
    template: str | None = None,
    max_new_tokens: int = 128,
    temperature: float = 0.0,
    seed: int = 0,
) -> list[dict]:
    """One row per prompt: {"prompt": ..., "answers": {spec: text}}. `template` formats prompts as training did."""
    from finetune.data import render_prompt
    from workbench.models import load_model

    rows = [{"prompt": p, "answers": {}} for p in prompts]
    for spec in specs:
        model = load_model(spec)
        if template:  # exactly the training prompt; the chat template (if any) is applied by render_prompt
            texts, chat = [render_prompt(p, model.tokenizer, template) for p in prompts], False
        else:
            texts, chat = list(prompts), None
        gens = model.generate(texts, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed, chat=chat)
        for row, g in zip(rows, gens):
            row["answers"][spec] = g.text.strip()
        del model
    return rows
