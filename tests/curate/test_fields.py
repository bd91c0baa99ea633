"""Field-role detection for every record shape, overrides, and unknown fields (the message lists what exists)."""

from __future__ import annotations

import pytest

from curate.fields import FieldTypeError, detect_fields, parse_fields_arg, to_pair
from workbench.errors import UserError


@pytest.mark.parametrize(
    "columns,kind,roles",
    [
        (["class", "Q", "A"], "pair", {"question": "Q", "answer": "A", "label": "class"}),
        (["question", "answer", "category"], "pair", {"question": "question", "answer": "answer", "label": "category"}),
        (["instruction", "input", "output"], "pair", {"question": "instruction", "input": "input", "answer": "output"}),
        (["input", "output"], "pair", {"question": "input", "answer": "output", "input": None}),
        (["prompt", "completion"], "pair", {"question": "prompt", "answer": "completion"}),
        (["messages"], "chat", {"messages": "messages"}),
        (["id", "conversations"], "chat", {"messages": "conversations"}),
        (["text", "source"], "text", {"text": "text", "label": "source"}),
        (
            ["class", "Question", "a", "b", "c", "d", "Answer"],
            "pair",
            {"question": "Question", "answer": "Answer", "label": "class"},
        ),
    ],
)
def test_detect_shapes(columns, kind, roles):
    fmap = detect_fields(columns)
    assert fmap.kind == kind
    for role, col in roles.items():
        assert getattr(fmap, role) == col, role


def test_overrides_win_and_aliases_parse():
    assert parse_fields_arg("q=Frage, a=Antwort,class=Thema") == {
        "question": "Frage",
        "answer": "Antwort",
        "label": "Thema",
    }
    fmap = detect_fields(["Frage", "Antwort", "Thema", "question"], parse_fields_arg("question=Frage,answer=Antwort"))
    assert (fmap.kind, fmap.question, fmap.answer) == ("pair", "Frage", "Antwort")


def test_unknown_override_field_lists_existing_fields():
    with pytest.raises(UserError) as e:
        detect_fields(["class", "Q", "A"], {"question": "Question"})
    assert "'Question'" in e.value.message and "class, Q, A" in e.value.message
    assert e.value.code == 2


def test_undetectable_fields_list_what_exists():
    with pytest.raises(UserError) as e:
        detect_fields(["foo", "bar"])
    assert "foo, bar" in e.value.message and "--fields" in e.value.hint
    with pytest.raises(UserError, match="answer"):
        detect_fields(["question", "notes"])


def test_bad_fields_argument():
    with pytest.raises(UserError, match="ROLE=COLUMN"):
        parse_fields_arg("question")
    with pytest.raises(UserError, match="unknown role"):
        parse_fields_arg("colour=red")


def test_to_pair_alpaca_joins_input():
    fmap = detect_fields(["instruction", "input", "output"])
    assert to_pair({"instruction": "Translate.", "input": "hello", "output": "안녕"}, fmap) == (
        "Translate.\n\nhello",
        "안녕",
    )
    assert to_pair({"instruction": "Say hi.", "input": "", "output": "hi"}, fmap) == ("Say hi.", "hi")


def test_to_pair_chat_and_sharegpt():
    fmap = detect_fields(["messages"])
    msgs = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi?"},
        {"role": "assistant", "content": "Hello."},
    ]
    prompt, answer = to_pair({"messages": msgs}, fmap)
    assert prompt == msgs[:2] and answer == "Hello."
    share = detect_fields(["conversations"])
    prompt, answer = to_pair(
        {"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]}, share
    )
    assert prompt == [{"role": "user", "content": "Q?"}] and answer == "A."
    assert to_pair({"conversations": [{"from": "human", "value": "Q?"}]}, share) == (
        [{"role": "user", "content": "Q?"}],
        "",
    )


def test_to_pair_text_numbers_and_none():
    assert to_pair({"text": "plain"}, detect_fields(["text"])) == ("", "plain")
    fmap = detect_fields(["question", "answer"])
    assert to_pair({"question": "2+2?", "answer": 4}, fmap) == ("2+2?", "4")
    assert to_pair({"question": "q", "answer": None}, fmap) == ("q", "")


def test_mixed_types_name_the_field():
    fmap = detect_fields(["question", "answer"])
    with pytest.raises(FieldTypeError) as e:
        to_pair({"question": "q", "answer": ["a", "b"]}, fmap)
    assert e.value.column == "answer" and "list" in e.value.message
    with pytest.raises(FieldTypeError, match="chat messages"):
        to_pair({"messages": 5}, detect_fields(["messages"]))
