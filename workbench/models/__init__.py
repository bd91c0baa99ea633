"""The one model layer: specs → backends with `generate`, `loglikelihood`, a tokenizer and a fingerprint."""

from __future__ import annotations

import os
from pathlib import Path

# Private by default: transformers and the hub client must never reach the network from here.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from workbench.errors import ModelError, UserError  # noqa: E402
from workbench.models.base import Generation, Model  # noqa: E402
from workbench.models.spec import ModelSpec, parse_spec  # noqa: E402

__all__ = [
    "Generation",
    "check_model_dir",
    "Model",
    "ModelSpec",
    "load_hf",
    "load_model",
    "load_tokenizer",
    "model_config",
    "model_fingerprint",
    "parse_spec",
    "resolve_dir",
]


def resolve_dir(spec: ModelSpec) -> str:
    """The local transformers directory behind a default/hf/gguf spec (converting GGUF once)."""
    from workbench.models.convert import converted_dir, default_model_dir

    if spec.kind == "default":
        return str(default_model_dir())
    if spec.kind == "gguf" and spec.path:
        return str(converted_dir(Path(spec.path)))
    if spec.kind == "hf" and spec.path:
        return spec.path
    raise UserError(f"{spec.text!r} is not a local model directory")


def _dtype(name):
    import torch

    if name in (None, "auto"):
        return torch.float32 if not torch.cuda.is_available() else "auto"
    return getattr(torch, str(name)) if isinstance(name, str) else name


def load_hf(spec, *, dtype=None, device: str | None = None, merge_adapter: bool = False, encoder: bool = False):
    """Load a local spec as (transformers model, tokenizer): the only place weights are read from disk. With
    `encoder`, the model without its language-model head (`AutoModel`: hidden states, for embeddings)."""
    import warnings

    import torch
    import transformers
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    # peft asks transformers a deprecated question on every adapter load; the answer is right, the warning is noise.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    spec = parse_spec(spec)
    dtype = _dtype(dtype or spec.options.get("dtype"))
    device = device or spec.options.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
    if spec.kind == "openai":
        raise UserError(f"{spec.text} is an endpoint; its weights can't be loaded locally")
    if spec.kind == "adapter":
        from peft import PeftModel

        base, tok = load_hf(spec.base, dtype=dtype, device=device)
        try:
            model = PeftModel.from_pretrained(base, spec.path)
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"could not load adapter {spec.path} on {spec.base.text}: {e}") from e
        if merge_adapter:
            model = model.merge_and_unload()
        model.eval()
        return model, tok
    path = resolve_dir(spec)
    check_model_dir(spec.text, path)
    try:
        tok = AutoTokenizer.from_pretrained(path)
    except Exception as e:  # noqa: BLE001 - whatever transformers raises, the user gets the path and the part
        raise _load_error(spec.text, path, "its tokenizer", e) from e
    try:
        model = (AutoModel if encoder else AutoModelForCausalLM).from_pretrained(path, dtype=dtype).to(device)
    except Exception as e:  # noqa: BLE001
        raise _load_error(spec.text, path, "its weights", e) from e
    model.eval()
    return model, tok


# What a transformers model directory needs, and the file names that provide each part (any one will do).
_NEEDS = {
    "config.json": ("config.json",),
    "weights (model.safetensors or pytorch_model.bin)": (".safetensors", ".bin", ".index.json", ".h5", ".msgpack"),
    "tokenizer files (tokenizer.json, tokenizer.model or vocab.json)": (
        "tokenizer.json",
        "tokenizer_config.json",
        ".model",
        "vocab.json",
        "vocab.txt",
        ".tiktoken",
    ),
}
_DIR_HINT = (
    "a model directory needs config.json, weights and tokenizer files: save both with model.save_pretrained(DIR) "
    "and tokenizer.save_pretrained(DIR), or use a GGUF file (docs/reference/models.md)"
)


def check_model_dir(text: str, path: str | os.PathLike) -> None:
    """Refuse (ModelError, exit 4) a model directory that lacks a part every model needs, naming all that is
    missing, before anything is loaded."""
    try:
        names = os.listdir(path)
    except OSError as e:
        raise ModelError(f"model {text!r}: cannot read {path} ({e.strerror or e})", hint=_DIR_HINT) from None
    missing = [part for part, ends in _NEEDS.items() if not any(n.endswith(ends) for n in names)]
    if missing:
        raise ModelError(
            f"model {text!r} could not be loaded: {path} has no {' and no '.join(missing)}", hint=_DIR_HINT
        )


def _load_error(text: str, path: str, part: str, e: BaseException) -> ModelError:
    """A loader's exception as a ModelError naming the model, its path and the part that failed."""
    why = (str(e).strip().splitlines() or [""])[0][:300]
    return ModelError(f"model {text!r}: could not load {part} from {path}: {type(e).__name__}: {why}", hint=_DIR_HINT)


def load_tokenizer(spec):
    """The tokenizer of a local spec (an adapter's base's, as `load_hf` pairs them), without reading any weights."""
    from transformers import AutoTokenizer

    spec = parse_spec(spec)
    if spec.kind == "openai":
        raise UserError(f"{spec.text} is an endpoint; its tokenizer is not local", hint="pass a local model spec")
    path = resolve_dir(spec.base if spec.kind == "adapter" else spec)
    check_model_dir(spec.text, path)
    try:
        return AutoTokenizer.from_pretrained(path)
    except Exception as e:  # noqa: BLE001 - whatever transformers raises, the user gets the path and the part
        raise _load_error(spec.text, path, "its tokenizer", e) from e


def model_config(spec):
    """The transformers config of a local spec (an adapter's base), read without loading weights."""
    from transformers import AutoConfig

    spec = parse_spec(spec)
    path = resolve_dir(spec.base if spec.kind == "adapter" else spec)
    try:
        return AutoConfig.from_pretrained(path)
    except Exception as e:  # noqa: BLE001
        raise _load_error(spec.text, path, "its config.json", e) from e


def model_fingerprint(spec) -> str:
    from workbench.models.convert import default_gguf, file_digest
    from workbench.models.fingerprint import dir_fingerprint, text_fingerprint

    spec = parse_spec(spec)
    if spec.kind == "default":
        return text_fingerprint("default", file_digest(default_gguf()))
    if spec.kind == "gguf":
        return text_fingerprint("gguf", file_digest(__import__("pathlib").Path(spec.path)))
    if spec.kind == "hf":
        return dir_fingerprint(spec.path)
    if spec.kind == "adapter":
        return text_fingerprint("adapter", model_fingerprint(spec.base), dir_fingerprint(spec.path))
    return text_fingerprint("openai", spec.base_url, spec.model_name)


def load_model(spec, **options) -> Model:
    """A ready model for any spec: local weights through `load_hf`, endpoints through the HTTP backend."""
    spec = parse_spec(spec)
    opts = {**spec.options, **options}
    if spec.kind == "openai":
        from workbench.models.endpoint import EndpointModel

        keys = ("api_key_env", "concurrency", "timeout", "max_retries", "backoff")
        return EndpointModel(spec.text, spec.base_url, spec.model_name, **{k: opts[k] for k in keys if k in opts})
    from workbench.models.hf import HFModel

    model, tok = load_hf(spec, dtype=opts.get("dtype"), device=opts.get("device"))
    return HFModel(spec.text, model, tok, model_fingerprint(spec))
