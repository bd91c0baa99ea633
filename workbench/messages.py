"""Sentences a package shows people, kept as a key and its fields beside the English text.

A package holds its English templates in a `MESSAGES` dict (key -> str.format template) and returns, next to each
rendered English sentence (what the CLI prints and the JSON keeps, unchanged), the message itself:
{"key": ..., "fields": {...}}. The app says the same message in Korean from its one catalogue (apps/i18n.py), keyed
identically, so the English text lives once, in the package. A field may itself be a message (rendered first).
A count says its noun in the right number with the spec `{n:|record|records}` ("1 record", "2 records")."""

from __future__ import annotations

import string
from collections.abc import Mapping

__all__ = ["fill", "is_message", "message", "render", "template_fields"]


def message(key: str, **fields) -> dict:
    """A message: its catalogue key and the values its template formats (JSON-ready: numbers, strings, messages)."""
    return {"key": key, "fields": fields}


def is_message(value) -> bool:
    return isinstance(value, dict) and set(value) == {"key", "fields"}


class _Formatter(string.Formatter):
    def format_field(self, value, format_spec: str):
        if format_spec.startswith("|"):  # {n:|record|records}: the count and its noun, singular for exactly 1
            one, _, many = format_spec[1:].partition("|")
            return f"{value:,} {one if value == 1 else many}"
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def fill(template: str, **fields) -> str:
    """`template.format(**fields)`, plus the plural spec `{n:|one|many}`."""
    return _FORMATTER.format(template, **fields)


def render(msg: dict, templates: Mapping[str, str]) -> str:
    """The message's text from `templates` (nested messages first, from the same templates)."""
    fields = {k: render(v, templates) if is_message(v) else v for k, v in msg["fields"].items()}
    return fill(templates[msg["key"]], **fields)


def template_fields(template: str) -> set[str]:
    """The field names a template formats ("{alpha:.3f} ≥ {threshold}" -> {"alpha", "threshold"})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
