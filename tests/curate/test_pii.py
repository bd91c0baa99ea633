"""curate.pii: true positives per kind, true negatives (failed checksums, look-alikes), masking and redaction;
Korean text with particles glued to the value, Korean order numbers and other layouts that are not cards or phones,
and the labelled set benchmarks/precision/pii/pii.jsonl held to its bar."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from curate.pii import card_ok, find_pii, luhn_ok, redact, rrn_ok
from curate.pipeline import audit

REPO = Path(__file__).resolve().parents[2]
PII_SET = REPO / "benchmarks/precision/pii/pii.jsonl"


def kinds(text):
    return [(f.kind, text[f.start : f.end]) for f in find_pii(text)]


@pytest.mark.parametrize(
    "text,kind,value",
    [
        ("write to jane.doe+news@mail.example.co.kr today", "email", "jane.doe+news@mail.example.co.kr"),
        ("휴대폰 010-1234-5678 로 연락", "phone", "010-1234-5678"),
        ("call 01012345678 now", "phone", "01012345678"),
        ("서울 02-123-4567 번", "phone", "02-123-4567"),
        ("office 031-1234-5678", "phone", "031-1234-5678"),
        ("intl +82-10-1234-5678.", "phone", "+82-10-1234-5678"),
        ("intl +82 2 1234 5678", "phone", "+82 2 1234 5678"),
        ("US (555) 123-4567 desk", "phone", "(555) 123-4567"),
        ("visa 4111 1111 1111 1111 exp", "card", "4111 1111 1111 1111"),
        ("mc 5500-0000-0000-0004", "card", "5500-0000-0000-0004"),
        ("amex 378282246310005", "card", "378282246310005"),
        ("host 192.168.10.254 up", "ipv4", "192.168.10.254"),
        ("v6 2001:db8:85a3::8a2e:370:7334 ok", "ipv6", "2001:db8:85a3::8a2e:370:7334"),
        ("key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t end", "secret", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t"),
        ("aws AKIAIOSFODNN7EXAMPLE", "secret", "AKIAIOSFODNN7EXAMPLE"),
        ("gh ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 x", "secret", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
        ("config api_key=Zx8fK2pLq9Rt4Vw7Yb3N", "secret", "Zx8fK2pLq9Rt4Vw7Yb3N"),
        ("주민번호 900101-1234568 입니다", "rrn", "900101-1234568"),
        ("외국인 900101-5234561", "rrn", "900101-5234561"),
    ],
)
def test_true_positives(text, kind, value):
    assert kinds(text) == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 fails Luhn",
        "rrn 900101-1234567 has a wrong checksum",
        "rrn 901301-1234568 has month 13",
        "date 2024-01-15 and time 12:30:45",
        "order number 12345678 and version 3.11.7",
        "an email-like word user@localhost is not routable",
        "password=hunter2hunter2hunter2",  # low entropy, no digits: not a generated secret
        "sk-short",
        "the ratio 1:2:3 is not an address",
        "Korean text 안녕하세요 with no personal data.",
        "",
    ],
)
def test_true_negatives(text):
    assert find_pii(text) == []


def test_validators_against_known_values():
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")  # the textbook Luhn example
    assert luhn_ok("4111111111111111") and not luhn_ok("41111111111111x1")
    # checksum by hand for 900101-123456?: sum(d*w) = 9*2+0+0+1*5+0+1*7+1*8+2*9+3*2+4*3+5*4+6*5 = 124
    # (11 - 124 % 11) % 10 = (11 - 3) % 10 = 8
    assert rrn_ok("900101-1234568") and not rrn_ok("900101-1234567")
    assert not rrn_ok("900230-1234568")  # no 30 February
    assert not rrn_ok("900101-9234568")  # 9 is no gender/century digit


def test_masking_hides_the_value():
    text = "mail john.doe@example.com, card 4111-1111-1111-1111, rrn 900101-1234568, 010-9876-5432, sk-" + "x1" * 15
    found = {f.kind: f for f in find_pii(text)}
    assert found["email"].masked == "j***@example.com"
    assert found["card"].masked == "****-****-****-1111"
    assert found["rrn"].masked == "900101-1******"
    assert found["phone"].masked == "010-****-5432"
    assert found["secret"].masked.startswith("sk-x") and "x1x1" not in found["secret"].masked
    for f in found.values():
        raw = text[f.start : f.end]
        assert raw not in f.excerpt and f.masked in f.excerpt


def test_redact_replaces_every_finding():
    text = "Contact 010-1234-5678 or a@b.io; RRN 900101-1234568; bad card 4111 1111 1111 1112."
    out = redact(text)
    assert out == "Contact [PHONE] or [EMAIL]; RRN [RRN]; bad card 4111 1111 1111 1112."
    assert find_pii(out) == []
    assert redact("") == ""
    assert redact("nothing here") == "nothing here"


# -- Korean particles and other scripts end a value (issue 23) ------------------------------------------------------


@pytest.mark.parametrize(
    "text,kind,value",
    [
        ("연락처는 010-1234-5678입니다.", "phone", "010-1234-5678"),  # the issue's three sentences
        ("010-1234-5678로 연락 주세요", "phone", "010-1234-5678"),
        ("메일은 kim@example.com으로 보내 주세요", "email", "kim@example.com"),
        ("연락처010-2468-1357로 문자 주세요", "phone", "010-2468-1357"),  # glued on both sides
        ("01098765432이고요", "phone", "01098765432"),
        ("010 5727 0117이에요", "phone", "010 5727 0117"),
        ("사무실은 02-123-4567번이에요", "phone", "02-123-4567"),
        ("031-8765-4321까지", "phone", "031-8765-4321"),
        ("(02) 1234-5678으로 전화", "phone", "(02) 1234-5678"),
        ("본사 02)1234-5678, 평일만", "phone", "02)1234-5678"),
        ("+82-10-1234-5678로 국제전화", "phone", "+82-10-1234-5678"),
        ("電話010-1234-5678まで", "phone", "010-1234-5678"),  # any non-Latin script is a boundary
        ("메일주소park_j@corp.example.co.kr로 회신", "email", "park_j@corp.example.co.kr"),  # the whole domain
        ("KIM.MINSU@EXAMPLE.COM이 제 주소", "email", "KIM.MINSU@EXAMPLE.COM"),
        ("Write to kim@example.com.", "email", "kim@example.com"),
        ("카드번호는 4111-1111-1111-1111입니다", "card", "4111-1111-1111-1111"),
        ("카드:378282246310005이고요", "card", "378282246310005"),
        ("다이너스 3056 930902 5904로 결제", "card", "3056 930902 5904"),
        ("주민번호900101-1234568로 조회", "rrn", "900101-1234568"),
        ("서버192.168.0.1에 접속", "ipv4", "192.168.0.1"),
        ("the host is 10.0.0.1.", "ipv4", "10.0.0.1"),
    ],
)
def test_values_with_particles_and_other_scripts_around_them(text, kind, value):
    assert kinds(text) == [(kind, value)]


@pytest.mark.parametrize(
    "text",
    [
        "주문번호 431028-9145988로 조회해 주세요.",  # 6-7 layout, Luhn-valid by chance, no RRN checksum: nothing
        "주문번호 2024031291774863번 주문이 접수되었습니다.",  # 16 digits, Luhn-valid, no issuer range
        "order 4222222222222 shipped",  # 13 digits that pass Luhn: no card layout issues today
        "송장번호 2024-0312-0001로 발송했습니다.",  # invoice number
        "사업자등록번호: 123-45-67890",  # business registration: a business's public id, not personal data
        "계약일은 2024-03-12이고 2024.03.12. 2024년 3월 12일 20240312도 같아요.",
        "Python 3.11.7에서, Build 10.0.19045.3803에서 동작합니다.",
        "가격은 1,234,567원, ₩12,900, $1,299.99입니다.",
        "계좌번호 110-523-731938로, 카카오뱅크 3333-01-2345678로 보내 주세요.",
        "바코드 8801234567893, ISBN 978-89-01-23456-7",
        "영업시간 09:00-18:00, 운송장 5718-8000-4331",
        "주문 1234-5678-9012-3456 조회",  # a card layout, but no issuer starts with 1
        "접수번호 0312-1234-5678로 조회",
    ],
)
def test_korean_layouts_that_are_not_pii(text):
    assert find_pii(text) == []


def test_the_order_number_of_the_issue_is_luhn_valid_and_still_no_card():
    assert luhn_ok("4310289145988") and not rrn_ok("431028-9145988")
    assert not card_ok("4310289145988")


@pytest.mark.parametrize(
    "digits,ok",
    [
        ("4111111111111111", True),  # Visa, 16
        ("5555555555554444", True),  # Mastercard 51-55
        ("2223003122003222", True),  # Mastercard 2221-2720
        ("378282246310005", True),  # Amex, 15
        ("30569309025904", True),  # Diners 300-305, 14
        ("36227206271667", True),  # Diners 36, 14
        ("6011111111111117", True),  # Discover
        ("3530111333300000", True),  # JCB 3528-3589
        ("6200000000000005", True),  # UnionPay
        ("4222222222222", False),  # Visa prefix, Luhn-valid, but 13 digits
        ("3782822463100005", False),  # Amex prefix at 16 digits
        ("2024031291774863", False),  # Luhn-valid, 2024 is below Mastercard's 2221
        ("4111111111111112", False),  # Luhn fails
        ("9410123456789012", False),  # 9: no international scheme
    ],
)
def test_card_ok_needs_issuer_range_length_and_luhn(digits, ok):
    assert card_ok(digits) is ok


def test_masked_format_with_particles_is_unchanged():
    text = "연락처는 010-9876-5432입니다. 메일은 john.doe@example.com으로, 카드 4111-1111-1111-1111로"
    found = {f.kind: f for f in find_pii(text)}
    assert found["phone"].masked == "010-****-5432"
    assert found["phone"].excerpt.startswith("연락처는 010-****-5432입니다.")
    assert found["email"].masked == "j***@example.com"
    assert redact(text) == "연락처는 [PHONE]입니다. 메일은 [EMAIL]으로, 카드 [CARD]로"


def test_audit_reports_korean_pii_and_not_order_numbers(tmp_path):
    data = tmp_path / "ko.jsonl"
    rows = [
        {"question": "연락처가 뭐예요?", "answer": "연락처는 010-1234-5678입니다."},
        {"question": "주문 조회", "answer": "주문번호 431028-9145988로 조회해 주세요."},
        {"question": "메일 주소는?", "answer": "메일은 kim@example.com으로 보내 주세요."},
    ]
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    pii = audit(data, stages=("pii",))["pii"]
    assert pii["records"] == 2 and pii["by_kind"] == {"phone": 1, "email": 1}
    assert [(e["line"], e["kind"], e["masked"]) for e in pii["examples"]] == [
        (1, "phone", "010-****-5678"),
        (3, "email", "k***@example.com"),
    ]


# -- the labelled set: recall >= 0.95 per kind, no hard negative reported ---------------------------------------------


def _labelled():
    return [json.loads(line) for line in PII_SET.read_text(encoding="utf-8").splitlines()]


def test_labelled_set_recall_and_no_lookalike_reported():
    hit, total, reported = Counter(), Counter(), []
    for r in _labelled():
        found = [(f.kind, r["text"][f.start : f.end]) for f in find_pii(r["text"])]
        for p in r["pii"]:
            total[p["kind"]] += 1
            hit[p["kind"]] += (p["kind"], p["value"]) in found
        labelled = {(p["kind"], p["value"]) for p in r["pii"]}
        reported += [(r["id"], f) for f in found if f not in labelled]
    assert set(total) == {"phone", "email", "card", "rrn"} and min(total.values()) >= 40
    assert {k: hit[k] / total[k] for k in total} == {k: 1.0 for k in total}  # the bar is 0.95; today all are found
    assert reported == []  # no look-alike (order number, date, invoice, ...) and no cut or widened span


def test_labelled_set_is_what_its_script_builds():
    spec = importlib.util.spec_from_file_location("make_pii_set", REPO / "benchmarks/precision/pii/make_set.py")
    make_set = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_set)
    rows = make_set.build()
    assert rows == _labelled()
    assert sum(len(r["lookalikes"]) for r in rows) >= 150
    assert {r["lang"] for r in rows} == {"ko", "en"}
