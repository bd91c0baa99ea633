"""Readers for every accepted format, and the bad-input cases of issue 3 (messages name file:line)."""

from __future__ import annotations

import json

import pytest

from workbench.errors import UserError
from workbench.tabular import detect_format, read_numbered, read_rows, write_rows

ROWS = [
    {"question": "연차는 어떻게 쓰나요?", "answer": "인사 포털에서 신청합니다.", "category": "hr"},
    {"question": "What is 2+2?", "answer": "4", "category": "math"},
]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "fmt,name",
    [
        ("jsonl", "d.jsonl"),
        ("json", "d.json"),
        ("csv", "d.csv"),
        ("tsv", "d.tsv"),
        ("parquet", "d.parquet"),
        ("arrow_dir", "d_dir"),
    ],
)
def test_round_trip_every_format(tmp_path, fmt, name):
    path = write_rows(tmp_path / name, ROWS, fmt)
    assert detect_format(path) == fmt
    assert list(read_rows(path)) == ROWS


def test_json_object_holding_a_list_and_jsonl_named_json(tmp_path):
    p = tmp_path / "wrapped.json"
    p.write_text(json.dumps({"data": ROWS}, ensure_ascii=False), encoding="utf-8")
    assert list(read_rows(p)) == ROWS
    q = _jsonl(tmp_path / "lines.json", ROWS)
    assert list(read_rows(q)) == ROWS


def test_text_file_and_sniffed_suffixless_file(tmp_path):
    t = tmp_path / "notes.txt"
    t.write_text("first line\n\nsecond line\n", encoding="utf-8")
    assert list(read_numbered(t)) == [(1, {"text": "first line"}), (3, {"text": "second line"})]
    s = _jsonl(tmp_path / "export", ROWS)
    assert list(read_rows(s)) == ROWS


def test_utf8_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffQ,A\nhi,there\n".encode("utf-8"))
    assert list(read_rows(p)) == [{"Q": "hi", "A": "there"}]


def test_line_numbers_follow_the_file(tmp_path):
    p = tmp_path / "multi.csv"
    p.write_text('Q,A\n"one\nline two",x\nsecond,y\n', encoding="utf-8")
    assert [ln for ln, _ in read_numbered(p)] == [2, 4]


# -- bad input ------------------------------------------------------------------------------------------------------
def test_malformed_json_line_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"q": "a", "a": "b"}\n{"q": "c", "a": \n{"q": "e", "a": "f"}\n', encoding="utf-8")
    with pytest.raises(UserError) as e:
        list(read_rows(p))
    assert f"{p}:2: malformed JSON" in e.value.message
    assert e.value.code == 2 and "--skip-bad" in e.value.hint
    stats: dict = {}
    assert len(list(read_rows(p, skip_bad=True, stats=stats))) == 2
    assert stats["skipped"] == 1 and stats["errors"][0].startswith(f"{p}:2:")


def test_wrong_encoding_line_names_line_and_guess(tmp_path):
    p = tmp_path / "mixed.jsonl"
    good = json.dumps({"q": "안녕", "a": "하세요"}, ensure_ascii=False).encode("utf-8")
    bad = '{"q": "안녕", "a": "cp949"}'.encode("cp949")
    p.write_bytes(good + b"\n" + bad + b"\n")
    with pytest.raises(UserError) as e:
        list(read_rows(p))
    assert f"{p}:2: not valid UTF-8" in e.value.message and "cp949" in e.value.message
    assert "iconv" in e.value.hint


def test_wrong_encoding_csv(tmp_path):
    p = tmp_path / "euckr.csv"
    p.write_bytes("Q,A\n질문,답변\n".encode("cp949"))
    with pytest.raises(UserError, match="not valid UTF-8"):
        list(read_rows(p))


def test_utf16_is_refused_with_a_fix(tmp_path):
    p = tmp_path / "u16.jsonl"
    p.write_bytes('{"q": "a"}\n'.encode("utf-16"))
    with pytest.raises(UserError, match="UTF-16"):
        list(read_rows(p))


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "empty.json"])
def test_empty_file(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"")
    with pytest.raises(UserError, match="empty"):
        list(read_rows(p))


def test_header_only_csv_has_no_records(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text("Q,A\n", encoding="utf-8")
    with pytest.raises(UserError, match="no records"):
        list(read_rows(p))


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        list(read_rows(tmp_path / "nope.jsonl"))


def test_csv_broken_quote_names_the_row_start(tmp_path):
    p = tmp_path / "broken.csv"
    p.write_text('Q,A\nok,fine\n"unclosed,oops\nnext,row\n', encoding="utf-8")
    with pytest.raises(UserError) as e:
        list(read_rows(p))
    assert f"{p}:3: broken CSV quoting" in e.value.message
    p2 = tmp_path / "stray.csv"
    p2.write_text('Q,A\n"quoted" tail,x\n', encoding="utf-8")
    with pytest.raises(UserError, match=rf"{p2.name}:2: broken CSV quoting"):
        list(read_rows(p2))


def test_csv_wrong_field_count(tmp_path):
    p = tmp_path / "fields.csv"
    p.write_text("Q,A\na,b\nc,d,e\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"fields.csv:3: 3 fields where the header has 2"):
        list(read_rows(p))
    stats: dict = {}
    assert list(read_rows(p, skip_bad=True, stats=stats)) == [{"Q": "a", "A": "b"}] and stats["skipped"] == 1


def test_huge_record_is_refused_then_read_with_a_higher_limit(tmp_path):
    p = tmp_path / "huge.jsonl"
    big = "x" * (50 * 2**20)
    p.write_text(
        json.dumps({"q": "small", "a": "ok"}) + "\n" + json.dumps({"q": "big", "a": big}) + "\n", encoding="utf-8"
    )
    with pytest.raises(UserError) as e:
        list(read_rows(p))
    assert f"{p}:2: one record is 50.0 MB" in e.value.message and "--max-record-mb" in e.value.hint
    rows = list(read_rows(p, max_record_bytes=64 * 2**20))
    assert len(rows[1]["a"]) == len(big)


def test_not_a_json_object_per_line(tmp_path):
    p = tmp_path / "list.jsonl"
    p.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(UserError, match="list.jsonl:1: expected a JSON object"):
        list(read_rows(p))


def test_folder_that_is_not_a_dataset(tmp_path):
    with pytest.raises(UserError, match="save_to_disk"):
        list(read_rows(tmp_path))


def test_write_rows_leaves_no_temp_file_on_failure(tmp_path):
    class Boom:
        def __iter__(self):
            yield {"a": 1}
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_rows(tmp_path / "out.jsonl", Boom(), "jsonl")
    assert list(tmp_path.iterdir()) == []
