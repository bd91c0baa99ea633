"""finetune: a thin fine-tuning layer over transformers and peft (full and LoRA), memory planning, merge."""
