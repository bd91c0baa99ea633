"""The suite file format: YAML (checked against suite.schema.json) → rendered cases, each with its assertion specs.

The format lives in the base package so that every part can read a suite: evalkit runs it (and turns each assertion
spec into a check, `evalkit.suites.format`), curate reads its questions to look for them in training data.

Templates use `{name}` for a case variable (`{{name}}` writes a literal `{name}`); other braces, as in JSON, are left
alone. Rows of a CSV/TSV/JSONL/JSON case source become cases whose vars are the row's columns.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import UserError
from workbench.tabular import detect_format, read_numbered

__all__ = ["GEN_KEYS", "SuiteCase", "SuiteFile", "load_suite", "render", "suite_schema"]

GEN_KEYS = ("max_new_tokens", "temperature", "top_p", "seed", "stop", "system", "chat")
GEN_DEFAULTS = {
    "max_new_tokens": 128,
    "temperature": 0.0,
    "top_p": 1.0,
    "seed": 0,
    "stop": None,
    "system": None,
    "chat": None,
}
CASE_KEYS = GEN_KEYS + ("template", "threshold", "timeout_s")
CASE_FORMATS = ("csv", "tsv", "jsonl", "json")  # the `workbench.tabular` formats a case source may be in
_VAR = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
# keys of an assertion whose strings are templates (json-schema and python values are taken literally)
_TEMPLATED = ("value", "choices", "answer", "reference")


@dataclass
class SuiteCase:
    """One rendered case: its prompt, variables, tags, generation settings and assertions (as `parse_assert` made
    them: the rendered spec dicts when nobody parses them)."""

    id: str
    prompt: Any  # str, or a list of chat messages
    vars: dict
    tags: list[str]
    checks: list
    gen: dict  # generation parameters (GEN_KEYS)
    threshold: float | None = None
    timeout_s: float | None = None
    where: str = ""  # file:line, for messages
    judge: Any = None
    lang: str = "en"
    group: str | None = None  # cases that share a source share a group (the gate counts each group once)

    @property
    def text(self) -> str:
        """The prompt as plain text (for the held-out check and reports)."""
        return self.prompt if isinstance(self.prompt, str) else "\n".join(m["content"] for m in self.prompt)


@dataclass
class SuiteFile:
    """A loaded suite: its name, where it was read from, and its rendered cases in file order."""

    name: str
    path: str
    cases: list
    version: Any = None
    description: str = ""
    defaults: dict = field(default_factory=dict)
    gate: dict | None = None  # the suite's `gate:` block (metric, tags, critical, allowed_drop, alpha), when it has one


@lru_cache(maxsize=1)
def suite_schema() -> dict:
    """The suite format as a JSON Schema (draft 2020-12), read once."""
    return json.loads(Path(__file__).with_name("suite.schema.json").read_text(encoding="utf-8"))


class _MissingVar(Exception):
    """A template names a variable the case doesn't define (turned into a file:line message by the loader)."""


def render(text: str, vars: dict) -> str:
    """Fill `{name}` from vars (each value inserted once, never re-rendered); `{{name}}` stays literal."""

    def sub(m: re.Match) -> str:
        if m.group(1):
            return "{" + m.group(1) + "}"
        name = m.group(2)
        if name not in vars:
            raise _MissingVar(name)
        v = vars[name]
        return "" if v is None else str(v)

    return _VAR.sub(sub, text)


# -- YAML with line numbers ----------------------------------------------------------------------------------------


def _line_of(node, path) -> int | None:
    """Line (1-based) of the YAML node at a JSON path, or of the deepest node found on the way."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def _path_text(path) -> str:
    """A JSON path as a reader writes it: cases[3].assert[0].type."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _read_yaml(path: Path) -> tuple[Any, Any]:
    """The suite as data and as a YAML node tree (for line numbers); a syntax error names file:line:column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"suite file {path} does not exist", hint="pass the path of a suites/*.yaml file") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text ({e})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e)
        raise UserError(
            f"{where}: YAML syntax error: {problem}",
            hint="check indentation and quoting on that line (quote strings that contain ': ' or '#')",
        ) from None
    return data, node


def _validate(data: Any, node, path: Path) -> None:
    """Check the suite against the schema; the most specific error is named by file:line and JSON path."""
    import jsonschema

    if not isinstance(data, dict):
        raise UserError(
            f"{path}: a suite is a YAML mapping with name and cases",
            hint="see the suite format: workbench/suite.schema.json",
        )
    validator = jsonschema.Draft202012Validator(suite_schema())
    errors = list(validator.iter_errors(data))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors)
    # oneOf failures (case vs file source) hide the useful message in their context: follow the branch the item
    # meant (a `file:` key means a case source), then the deepest error.
    while err.context:
        branch = 1 if isinstance(err.instance, dict) and "file" in err.instance else 0
        mine = [
            e for e in err.context if err.validator != "oneOf" or e.relative_schema_path[0] == branch
        ] or err.context
        err = max(mine, key=lambda e: (len(e.absolute_path), e.validator != "required", -len(e.message)))
    loc = list(err.absolute_path)
    msg = err.message
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        if extra:
            loc.append(extra[0])
        msg += " (misspelt key?)"
    line = _line_of(node, loc)
    raise UserError(
        f"{path}:{line}: {_path_text(loc)}: {msg}",
        hint="the suite format: docs/reference/suite-format.md and workbench/suite.schema.json",
    )


# -- case sources --------------------------------------------------------------------------------------------------


def _case_rows(file: Path, where: str, every: int | None, limit: int | None) -> list[tuple[int, dict]]:
    """(line, row) of a case source through the one tabular reader (its errors name file:line), every `every`-th row,
    at most `limit` of them; reading stops once `limit` rows are taken."""
    if not file.exists():
        raise UserError(f"{where}: case file {file} does not exist", hint="paths are relative to the suite file")
    if detect_format(file) not in CASE_FORMATS:
        raise UserError(f"{where}: can't read cases from {file.name}", hint="use .csv, .tsv, .jsonl or .json")
    rows = itertools.islice(read_numbered(file), 0, None, every or 1)
    return list(itertools.islice(rows, limit or None))


def _render_value(v, vars: dict):
    """A template string, or a list of them, rendered; anything else as it is."""
    if isinstance(v, str):
        return render(v, vars)
    if isinstance(v, list):
        return [_render_value(x, vars) for x in v]
    return v


def _expand(item: dict, base: Path, where: str) -> list[tuple[dict, str]]:
    """A case source → (raw case mapping with vars filled from the row, file:line) per row."""
    file = (base / item["file"]).resolve()
    rows = _case_rows(file, where, item.get("every"), item.get("limit"))
    id_tpl = str(item.get("id", "{_file}-{_row}"))
    out = []
    for n, (line, row) in enumerate(rows):
        row_vars = {str(k): ("" if v is None else v) for k, v in row.items()}
        row_vars.update(_file=file.stem, _row=n)
        row_where = f"{file.name}:{line}"
        try:
            extra = {k: _render_value(v, row_vars) for k, v in (item.get("vars") or {}).items()}
            case_id = render(id_tpl, row_vars)
        except _MissingVar as e:
            raise UserError(
                f"{where}: {row_where}: template variable {{{e}}} is not a column of {file.name}",
                hint=f"columns are: {', '.join(k for k in row_vars if not k.startswith('_'))}",
            ) from None
        raw = {k: v for k, v in item.items() if k not in ("file", "limit", "every", "id", "vars")}
        raw["id"] = case_id
        raw["vars"] = {**row_vars, **extra}
        out.append((raw, f"{where} ({row_where})"))
    return out


# -- cases ---------------------------------------------------------------------------------------------------------


def _prompt(raw: dict, vars: dict, template: str | None, where: str) -> Any:
    """The case's prompt: its messages, or its input (through the template when there is one)."""
    if "messages" in raw:
        return [{"role": m["role"], "content": render(m["content"], vars)} for m in raw["messages"]]
    text = render(str(raw["input"]), vars) if "input" in raw else None
    if template:
        return render(template, {**vars, **({"input": text} if text is not None else {})})
    if text is None:
        raise UserError(
            f"{where}: case {raw['id']} has no input, messages or template",
            hint="give the case `input: ...` or set `template:` in defaults",
        )
    return text


def _checks(specs: list, vars: dict, where: str, parse_assert: Callable) -> list:
    """Each assertion spec with its template keys rendered, as `parse_assert` makes it."""
    checks = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        if spec["type"].removeprefix("not-") not in ("json-schema", "python"):
            for key in _TEMPLATED:
                if key in spec:
                    spec[key] = _render_value(spec[key], vars)
        checks.append(parse_assert(spec, f"{where}: assert[{i}]"))
    return checks


def _build_case(raw: dict, defaults: dict, where: str, parse_assert: Callable) -> SuiteCase:
    """One raw case mapping (its row's vars filled in) with the suite's defaults → a rendered SuiteCase."""
    case_id = str(raw["id"])
    vars = {**(defaults.get("vars") or {}), **(raw.get("vars") or {})}
    opts = {k: raw.get(k, defaults.get(k)) for k in CASE_KEYS}
    try:
        prompt = _prompt(raw, vars, opts["template"], where)
        tags = [render(str(t), vars) for t in (defaults.get("tags") or []) + (raw.get("tags") or [])]
        specs = list(defaults.get("assert") or []) + list(raw.get("assert") or [])
        checks = _checks(specs, vars, f"{where}: case {case_id}", parse_assert)
    except _MissingVar as e:
        known = ", ".join(sorted(k for k in vars if not k.startswith("_"))) or "none"
        raise UserError(
            f"{where}: case {case_id}: template variable {{{e}}} is not defined",
            hint=f"add it to the case's vars (defined: {known}), or write {{{{{e}}}}} for a literal",
        ) from None
    if not checks:
        raise UserError(f"{where}: case {case_id} has no assertions", hint="add an `assert:` list (or defaults.assert)")
    return SuiteCase(
        id=case_id,
        prompt=prompt,
        vars=dict(vars),
        tags=tags,
        checks=checks,
        gen={k: (opts[k] if opts[k] is not None else GEN_DEFAULTS[k]) for k in GEN_KEYS},
        threshold=opts["threshold"],
        timeout_s=opts["timeout_s"],
        where=where,
        judge=defaults.get("judge"),
        lang=defaults.get("lang", "en"),
        group=_group(raw, vars, where, case_id),
    )


def _group(raw: dict, vars: dict, where: str, case_id: str) -> str | None:
    """The case's `group:` rendered from its vars (a source's rows may group by a column: `group: "{question}"`)."""
    if raw.get("group") is None:
        return None
    try:
        return render(str(raw["group"]), vars)
    except _MissingVar as e:
        raise UserError(f"{where}: case {case_id}: group names {{{e}}}, which is not a variable") from None


def _check_gate(gate: dict | None, cases: list, node, path: Path) -> None:
    """A gate may name only tags some case has (a misspelt tag would gate on nothing)."""
    known = {t for c in cases for t in c.tags}
    for key in ("tags", "critical"):
        for i, tag in enumerate((gate or {}).get(key) or []):
            if tag not in known:
                raise UserError(
                    f"{path}:{_line_of(node, ['gate', key, i])}: gate.{key}[{i}]: no case has the tag {tag!r}",
                    hint=f"tags in this suite: {', '.join(sorted(known)) or 'none'}",
                )


def _keep_spec(spec: dict, where: str) -> dict:
    """The default `parse_assert`: the rendered spec stays a dict (curate reads only prompts)."""
    return spec


def load_suite(
    path: str | Path,
    *,
    parse_assert: Callable[[dict, str], Any] = _keep_spec,
    finish: Callable[[SuiteCase], Any] | None = None,
) -> SuiteFile:
    """Read, validate and render a suite file; every error names file:line and the case.

    `parse_assert(spec, where)` turns each rendered assertion spec into a check (evalkit's registry), `finish(case)`
    checks a whole case and may return another object for it; without them the specs stay dicts."""
    path = Path(path)
    data, node = _read_yaml(path)
    _validate(data, node, path)
    defaults = dict(data.get("defaults") or {})
    cases: list = []
    seen: dict[str, str] = {}
    for i, item in enumerate(data["cases"]):
        where = f"{path}:{_line_of(node, ['cases', i])}"
        raws = _expand(item, path.parent, where) if "file" in item else [(item, where)]
        for raw, w in raws:
            case = _build_case(raw, defaults, w, parse_assert)
            if finish is not None:
                case = finish(case)
            if case.id in seen:
                raise UserError(
                    f"{w}: duplicate case id {case.id!r} (first at {seen[case.id]})",
                    hint="case ids must be unique within a suite: results are matched by id",
                )
            seen[case.id] = w
            cases.append(case)
    _check_gate(data.get("gate"), cases, node, path)
    return SuiteFile(
        name=str(data["name"]),
        path=str(path),
        cases=cases,
        version=data.get("version"),
        description=str(data.get("description") or ""),
        defaults=defaults,
        gate=data.get("gate"),
    )
