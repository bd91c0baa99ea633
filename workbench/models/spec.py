"""Model specs: the one string (or YAML mapping) syntax every command accepts for a model.

default                              the embedded SmolLM2-135M-Instruct
path/to/hf-dir                       a local transformers model directory
path/to/model.gguf                   a GGUF file (dequantised once into the cache)
BASE+path/to/adapter                 a PEFT LoRA adapter on any local base spec
openai:http://host:port/v1#name      an OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, TGI, evalkit serve)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.errors import UserError

SPEC_HELP = (
    "a model spec is `default`, a local model directory, a .gguf file, BASE+ADAPTER_DIR, "
    "or openai:URL#MODEL (see docs/reference/models.md)"
)


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # default|hf|gguf|adapter|openai
    text: str
    path: str | None = None
    base: ModelSpec | None = None
    base_url: str | None = None
    model_name: str | None = None
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


def parse_spec(spec: str | dict | ModelSpec) -> ModelSpec:
    """Parse a spec string or YAML mapping; local paths must exist (no hub downloads, ever)."""
    if isinstance(spec, ModelSpec):
        return spec
    if isinstance(spec, dict):
        return _parse_mapping(spec)
    text = str(spec).strip()
    if not text:
        raise UserError("empty model spec", hint=SPEC_HELP)
    if text == "default":
        return ModelSpec("default", text)
    if text.startswith("openai:"):
        rest = text[len("openai:") :]
        url, _, name = rest.partition("#")
        if not url.startswith(("http://", "https://")) or not name:
            raise UserError(f"bad endpoint spec {text!r}", hint="write openai:http://HOST:PORT/v1#MODEL_NAME")
        return ModelSpec("openai", text, base_url=url.rstrip("/"), model_name=name)
    if "+" in text and not Path(text).exists():
        base_text, _, adapter = text.rpartition("+")
        base = parse_spec(base_text)
        if base.kind == "openai":
            raise UserError(f"{text!r}: an adapter needs a local base model, not an endpoint")
        _must_exist(adapter, text, expect="adapter_config.json")
        return ModelSpec("adapter", text, path=str(Path(adapter).resolve()), base=base)
    path = Path(text).expanduser()
    if path.suffix == ".gguf":
        _must_exist(str(path), text)
        return ModelSpec("gguf", text, path=str(path.resolve()))
    _must_exist(str(path), text, expect="config.json")
    if (path / "adapter_config.json").exists() and not (path / "config.json").exists():
        import json

        base_name = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path") or "default"
        return ModelSpec("adapter", text, path=str(path.resolve()), base=parse_spec(base_name))
    return ModelSpec("hf", text, path=str(path.resolve()))


def _must_exist(path: str, text: str, expect: str | None = None) -> None:
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(
            f"model {text!r}: {path} does not exist", hint=f"{SPEC_HELP}; models are never downloaded at run time"
        )
    if expect and p.is_dir() and not (p / expect).exists() and not (p / "adapter_config.json").exists():
        raise UserError(
            f"model {text!r}: {path} has no {expect}", hint="point at a saved transformers model or adapter directory"
        )


def _parse_mapping(d: dict) -> ModelSpec:
    d = dict(d)
    kind = d.pop("kind", None)
    if kind == "openai" or "base_url" in d:
        url, name = d.pop("base_url", None), d.pop("model", None)
        if not url or not name:
            raise UserError(
                "endpoint model needs base_url and model", hint="{kind: openai, base_url: http://..., model: NAME}"
            )
        return ModelSpec("openai", f"openai:{url}#{name}", base_url=str(url).rstrip("/"), model_name=name, options=d)
    if "adapter" in d:
        base = parse_spec(d.pop("base", "default"))
        adapter = d.pop("adapter")
        return replace(parse_spec(f"{base.text}+{adapter}"), options=d)
    path = d.pop("path", None) or d.pop("model", None)
    if not path:
        raise UserError(f"model mapping {d!r} names no model", hint=SPEC_HELP)
    return replace(parse_spec(path), options=d)
