"""`finetune`: train (full or LoRA), merge, generate side by side, plan memory."""

from __future__ import annotations

import argparse
import json
import sys

from workbench import cli


# -- train ----------------------------------------------------------------------------------------------------------
def _add_train(sub) -> None:
    from finetune.config import FIELDS

    p = sub.add_parser(
        "train",
        help="fine-tune a model from a YAML config (full or LoRA)",
        allow_abbrev=False,
        description="Train from CONFIG.yaml; every config key can be overridden: --lr 1e-4, "
        "--set lora_r=8, --no-audit, --resume.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="multi-GPU / multi-process: torchrun --nproc-per-node 8 -m finetune train CONFIG.yaml\n"
        "  (data parallel: each process holds the whole model; FSDP/DeepSpeed sharding is not applied, docs/scale-out.md)",
    )
    p.add_argument(
        "config", nargs="?", help="YAML file with training keys (keys: finetune/config.py; docs/finetune.md)"
    )
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any config key (repeatable)")
    keys = p.add_argument_group("config keys (each overrides the YAML)")
    for name, f in FIELDS.items():
        flag = "--" + name.replace("_", "-")
        if str(f.type).startswith("bool"):
            keys.add_argument(
                flag,
                dest=f"cfg_{name}",
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,  # only the keys given override the YAML
                help=f"(default {f.default})",
            )
        else:  # checked at parse time: a bad --lr is exit 2 naming the option, before the audit or the model
            keys.add_argument(
                flag,
                dest=f"cfg_{name}",
                type=_config_value(name),
                metavar=name.upper(),
                default=argparse.SUPPRESS,  # `--max-steps none` overrides the YAML too
                help=f"(default {f.default})",
            )
    p.set_defaults(func=_train)


def _config_value(key: str):
    """An argparse `type` for config key `key`: its text coerced and range-checked as the YAML's value would be."""
    from finetune.config import check_value
    from workbench.errors import UserError

    def parse(text: str):
        try:
            return check_value(key, text)
        except UserError as e:
            raise argparse.ArgumentTypeError(f"{e.message} ({e.hint})" if e.hint else e.message) from None

    parse.__name__ = key
    return parse


def config_from_args(args):
    """The TrainConfig of `finetune train`'s parsed arguments: the YAML, then --set, then the options given."""
    from finetune.config import load_config, parse_set

    overrides = parse_set(args.set)
    overrides.update({k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_")})  # only the options given
    return load_config(args.config, overrides)


def _train(args) -> int:
    from finetune.train import train

    cfg = config_from_args(args)
    summary = train(cfg, notify=lambda msg: print(msg, file=sys.stderr))
    if summary.get("rank", 0) != 0:  # under torchrun only rank 0 reports
        return 0
    print(
        f"trained {summary['steps']} steps ({summary['epochs']} epochs, {summary['method']}, "
        f"{summary['trainable_params']:,} trainable parameters, {summary['precision']})"
    )
    if summary["eval_loss"] is not None:
        print(f"eval loss {summary['eval_loss']:.4f} on {summary['eval_examples']} held-out examples")
    spec = f"{cfg.model}+{summary['out']}" if cfg.method == "lora" else summary["out"]
    print(f"saved to {summary['out']} (model spec: {spec})")
    print(f"run {summary['run_id'][:8]} in the results store; log {summary['out']}/train_log.jsonl")
    return 0


# -- merge ----------------------------------------------------------------------------------------------------------
def _add_merge(sub) -> None:
    p = sub.add_parser("merge", help="merge a LoRA adapter into its base weights (full precision)")
    p.add_argument("adapter", help="adapter directory (the `out` of a LoRA run) or BASE+ADAPTER spec")
    p.add_argument("--out", required=True, help="directory for the merged model (a plain model spec afterwards)")
    p.add_argument("--base", help="base model spec (default: the one recorded in adapter_config.json)")
    p.set_defaults(func=_merge)


def _merge(args) -> int:
    from finetune.merge import merge_adapter

    out = merge_adapter(args.adapter, args.out, base=args.base)
    print(f"merged {args.adapter} into {out}; use it as --model {out}")
    return 0


# -- generate -------------------------------------------------------------------------------------------------------
def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="answers from several models side by side (base vs tuned)")
    p.add_argument("prompt", nargs="+", help="one or more prompts")
    p.add_argument("--model", action="append", required=True, help="model spec (repeat: --model A --model B)")
    p.add_argument("--template", help="format prompts as in training: auto, chat, alpaca, qa or a {prompt} string")
    cli.generation_args(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_generate)


def _generate(args) -> int:
    from finetune.generate import side_by_side

    rows = side_by_side(
        args.model, args.prompt, template=args.template, **cli.keywords(args, "max_new_tokens", "temperature", "seed")
    )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    width = max(len(m) for m in args.model)
    for row in rows:
        print(f"prompt: {row['prompt']}")
        for spec, text in row["answers"].items():
            lines = text.splitlines() or [""]
            print(f"  {spec:<{width}} │ {lines[0]}")
            for ln in lines[1:]:
                print(f"  {'':<{width}} │ {ln}")
        print()
    return 0


# -- plan -----------------------------------------------------------------------------------------------------------
def _add_plan(sub) -> None:
    p = sub.add_parser("plan", help="GPU memory for inference, full fine-tuning, LoRA and QLoRA; which fits")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--model", help="a local model spec (parameters and shape are read from its config)")
    who.add_argument("--params", type=_size, help="parameter count, e.g. 7B, 135M")
    p.add_argument(
        "--gpu-mem", type=_size, help="memory of one GPU, e.g. 16GB, 24GiB (default: this machine's GPU, if any)"
    )
    p.add_argument(
        "--method",
        choices=["inference", "full", "lora", "qlora"],
        action="append",
        help="show only these methods (repeatable)",
    )
    p.add_argument("--seq-len", type=cli.number(int, at_least=1), default=512, help="tokens per sequence (default 512)")
    p.add_argument("--batch", type=cli.number(int, at_least=1), default=1, help="sequences per batch (default 1)")
    p.add_argument(
        "--precision",
        choices=["amp", "pure_bf16"],
        default="amp",
        help="full fine-tuning: bf16 autocast with fp32 master weights (amp) or everything in bf16",
    )
    p.add_argument("--json", action="store_true", help="print the plan as JSON (stable interface)")
    p.set_defaults(func=_plan)


def _plan(args) -> int:
    from finetune.plan import GB, METHODS, PARTS, max_params, model_arch, plan_memory

    params, shape = model_arch(args.model) if args.model else (args.params, None)
    gpu = args.gpu_mem or _local_gpu_mem()
    methods = tuple(m for m in METHODS if not args.method or m in args.method)
    plan = plan_memory(
        params,
        gpu_mem_bytes=gpu,
        seq_len=args.seq_len,
        batch=args.batch,
        shape=shape,
        precision=args.precision,
        methods=methods,
    )
    if args.json:
        print(json.dumps(plan))
        return 0
    gpu_text = f"{gpu / GB:.1f} GB GPU" if gpu else "no GPU given (--gpu-mem)"
    print(f"{params / 1e9:.3g}B parameters, sequence {args.seq_len} x batch {args.batch}, {gpu_text}")
    print(f"  {'':<10} {'total':>9}  " + " ".join(f"{p:>11}" for p in PARTS))
    for m, v in plan["methods"].items():
        fits = {True: "fits", False: "does not fit", None: ""}[v["fits"]]
        parts = " ".join(f"{v['parts'][p] / GB:8.2f} GB" for p in PARTS)
        line = f"  {m:<10} {v['bytes'] / GB:6.1f} GB  {parts}  {fits}"
        if gpu:
            line += f"   (largest that fits: {max_params(m, gpu, seq_len=args.seq_len, batch=args.batch) / 1e9:.2g}B)"
        print(line)
    where = "the model's config.json" if args.model else "a LLaMA-shaped model of this size"
    print(f"parts: weights, gradients, Adam states, activations, KV cache, runtime reserve; shape from {where}")
    print("sources in finetune/plan.py")
    return 0


def _size(text: str) -> int:
    """An argparse `type` for --params and --gpu-mem: a size such as 7B or 24GiB, at least 1."""
    from finetune.plan import parse_size
    from workbench.errors import UserError

    try:
        size = parse_size(text)
    except UserError as e:
        raise argparse.ArgumentTypeError(f"{e.message} ({e.hint})") from None
    if size < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return size


def _local_gpu_mem() -> int | None:
    try:
        import torch

        return torch.cuda.get_device_properties(0).total_memory if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001
        return None


# Each command registers itself here with an `_add_*(sub)` function.
SUBCOMMANDS: list = [_add_train, _add_merge, _add_generate, _add_plan]


def parser() -> argparse.ArgumentParser:
    """The `finetune` argument parser (the docs' CLI reference is generated from it)."""
    return cli.build_parser(
        "finetune", "Fine-tune a model on your own hardware: full or LoRA, memory plan, merge.", SUBCOMMANDS
    )


def main(argv=None) -> int:
    return cli.run_main(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
