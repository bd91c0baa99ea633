"""Which column holds what: detect the roles of a dataset's fields from their names, overridable by the user."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.errors import UserError

__all__ = ["FieldMap", "FieldTypeError", "ROLES", "detect_fields", "parse_fields_arg", "to_pair"]

ROLES = ("question", "answer", "input", "system", "messages", "text", "label")

# Lower-cased column names per role, most specific first.
_NAMES: dict[str, tuple[str, ...]] = {
    "messages": ("messages", "conversations", "conversation", "dialog", "dialogue", "chat", "turns"),
    "question": (
        "question",
        "q",
        "instruction",
        "prompt",
        "query",
        "questions",
        "user",
        "human",
        "problem",
        "질문",
        "문제",
    ),
    "answer": (
        "answer",
        "a",
        "output",
        "completion",
        "response",
        "reply",
        "target",
        "answers",
        "assistant",
        "gpt",
        "solution",
        "chosen",
        "답변",
        "답",
        "정답",
    ),
    "input": ("input", "context", "inputs"),
    "system": ("system", "system_prompt", "sys"),
    "text": ("text", "content", "document", "body", "passage"),
    "label": (
        "class",
        "label",
        "category",
        "topic",
        "type",
        "task",
        "intent",
        "domain",
        "tag",
        "source",
        "subject",
        "분류",
        "카테고리",
    ),
}
_ROLE_ALIASES = {
    "q": "question",
    "a": "answer",
    "prompt": "question",
    "instruction": "question",
    "output": "answer",
    "completion": "answer",
    "response": "answer",
    "conversations": "messages",
    "category": "label",
    "class": "label",
}
_SPEAKERS = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "chatgpt": "assistant",
    "system": "system",
}


@dataclass(frozen=True)
class FieldMap:
    """Column name per role (None when absent). `kind` is pair, chat or text."""

    kind: str
    question: str | None = None
    answer: str | None = None
    input: str | None = None
    system: str | None = None
    messages: str | None = None
    text: str | None = None
    label: str | None = None
    columns: tuple[str, ...] = field(default=(), compare=False)

    @property
    def prompt_name(self) -> str:
        """The column name reports use for the prompt side ("messages" for chat)."""
        return self.question or self.messages or self.text or "prompt"

    @property
    def answer_name(self) -> str:
        return self.answer or ("assistant" if self.kind == "chat" else self.text) or "answer"

    def as_dict(self) -> dict:
        return {"kind": self.kind, **{r: getattr(self, r) for r in ROLES}}


class FieldTypeError(UserError):
    """A field holds a value of the wrong type (e.g. a list where text is expected); the caller adds file:line."""

    def __init__(self, column: str, got: str, expected: str = "text"):
        super().__init__(
            f"field {column!r} holds a {got}, expected {expected}",
            hint="the column mixes types; fix the record, map another field with --fields, or pass --skip-bad",
        )
        self.column = column


def parse_fields_arg(text: str | None) -> dict[str, str]:
    """`"question=Q,answer=A"` → {"question": "Q", "answer": "A"} (role aliases like q=, prompt=, class= accepted)."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise UserError(f"--fields: {part!r} is not ROLE=COLUMN", hint="e.g. --fields question=Q,answer=A")
        role, col = (s.strip() for s in part.split("=", 1))
        role = _ROLE_ALIASES.get(role.lower(), role.lower())
        if role not in ROLES:
            raise UserError(f"--fields: unknown role {role!r}", hint=f"roles: {', '.join(ROLES)}")
        out[role] = col
    return out


def detect_fields(columns: list[str], overrides: dict | None = None, *, source: str | None = None) -> FieldMap:
    """Assign roles to columns by name; `overrides` (role → column) win. Unknown columns raise, listing what exists
    (and naming `source`, the file the columns come from, when given)."""
    try:
        return _detect(columns, overrides)
    except UserError as e:
        if source is None:
            raise
        raise UserError(f"{source}: {e.message}", hint=e.hint) from None


def _detect(columns: list[str], overrides: dict | None) -> FieldMap:
    columns = [str(c) for c in columns]
    overrides = {(_ROLE_ALIASES.get(k.lower(), k.lower())): v for k, v in (overrides or {}).items() if v}
    for role, col in overrides.items():
        if role not in ROLES:
            raise UserError(f"unknown role {role!r} in --fields", hint=f"roles: {', '.join(ROLES)}")
        if col not in columns:
            raise UserError(
                f"field {col!r} (for {role}) is not in the data; the fields are: {', '.join(columns)}",
                hint=f"pass --fields {role}=<one of those>",
            )
    lower = {c.lower().strip(): c for c in columns}
    found: dict[str, str] = dict(overrides)
    taken = set(found.values())
    for role in ("messages", "question", "answer", "input", "system", "text", "label"):
        if role in found:
            continue
        for name in _NAMES[role]:
            col = lower.get(name)
            if col is not None and col not in taken:
                found[role] = col
                taken.add(col)
                break
    # alpaca: instruction/input/output. "input" is the question only when there is no instruction-like column.
    if "question" not in found and "input" in found and "answer" in found:
        found["question"] = found.pop("input")
    if "messages" in found and not ({"question", "answer"} <= found.keys() and "messages" not in overrides):
        kind = "chat"
        for r in ("question", "answer", "input", "text"):
            if r not in overrides:
                found.pop(r, None)
    elif "question" in found and "answer" in found:
        kind = "pair"
    elif "text" in found:
        kind = "text"
    elif "answer" in found and "text" not in found and "question" not in found:
        found["text"] = found.pop("answer")
        kind = "text"
    else:
        have = ", ".join(columns) or "(none)"
        missing = "answer" if "question" in found else "question" if "answer" in found else "question and answer"
        raise UserError(
            f"could not tell which field is the {missing}; the fields are: {have}",
            hint="name them, e.g. --fields question=<field>,answer=<field> (or text=<field>)",
        )
    return FieldMap(kind=kind, columns=tuple(columns), **found)


def _as_text(row: dict, col: str | None) -> str:
    if col is None:
        return ""
    value = row.get(col)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    raise FieldTypeError(col, type(value).__name__)


def _messages(row: dict, col: str) -> list[dict]:
    value = row.get(col)
    if value is None:
        return []
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            raise FieldTypeError(col, "string that is not JSON", "a list of chat messages") from None
    if not isinstance(value, list):
        raise FieldTypeError(col, type(value).__name__, "a list of chat messages")
    out = []
    for m in value:
        if not isinstance(m, dict):
            raise FieldTypeError(col, f"list of {type(m).__name__}", "a list of {role, content} messages")
        role = m.get("role", m.get("from", m.get("speaker")))
        content = m.get("content", m.get("value", m.get("text")))
        if isinstance(content, list):  # multimodal content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        role = _SPEAKERS.get(str(role).lower(), str(role).lower()) if role is not None else "user"
        out.append({"role": role, "content": "" if content is None else str(content)})
    return out


def to_pair(row: dict, fmap: FieldMap) -> tuple[str | list[dict], str]:
    """The prompt (text, or chat messages without the final assistant turn) and the answer text of one row."""
    if fmap.kind == "pair":
        prompt = _as_text(row, fmap.question)
        extra = _as_text(row, fmap.input)
        if extra.strip():
            prompt = f"{prompt}\n\n{extra}" if prompt else extra
        return prompt, _as_text(row, fmap.answer)
    if fmap.kind == "chat":
        msgs = _messages(row, fmap.messages)
        if fmap.system and _as_text(row, fmap.system).strip() and not (msgs and msgs[0]["role"] == "system"):
            msgs = [{"role": "system", "content": _as_text(row, fmap.system)}] + msgs
        if msgs and msgs[-1]["role"] == "assistant":
            return msgs[:-1], msgs[-1]["content"]
        return msgs, ""
    return "", _as_text(row, fmap.text)


def prompt_text(prompt: str | list[dict]) -> str:
    """A chat prompt flattened to text (user turns joined), for signals and dedup."""
    if isinstance(prompt, str):
        return prompt
    return "\n".join(m["content"] for m in prompt if m["role"] != "system")
