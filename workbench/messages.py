"""Sentences a package shows people, kept as a key and its fields beside the English text.

A package holds its English templates in a `MESSAGES` dict (key -> str.format template) and returns, next to each
rendered English sentence (what the CLI prints and the JSON keeps, unchanged), the message itself:
{"key": ..., "fields": {...}}. The app says the same message in Korean from its one catalogue (apps/i18n.py), keyed
identically, so the English text lives once, in the package. A field may itself be a message (rendered first)."""

from __future__ import annotations

import string
from collections.abc import Mapping

__all__ = ["is_message", "message", "render", "template_fields"]


def message(key: str, **fields) -> dict:
    """A message: its catalogue key and the values its template formats (JSON-ready: numbers, strings, messages)."""
    return {"key": key, "fields": fields}


def is_message(value) -> bool:
    return isinstance(value, dict) and set(value) == {"key", "fields"}


def render(msg: dict, templates: Mapping[str, str]) -> str:
    """The message's text from `templates` (nested messages first, from the same templates)."""
    fields = {k: render(v, templates) if is_message(v) else v for k, v in msg["fields"].items()}
    return templates[msg["key"]].format(**fields)


def template_fields(template: str) -> set[str]:
    """The field names a template formats ("{alpha:.3f} ≥ {threshold}" -> {"alpha", "threshold"})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
