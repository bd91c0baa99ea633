"""curate.pii: true positives per kind, true negatives (failed checksums, look-alikes), masking and redaction."""

from __future__ import annotations

import pytest

from curate.pii import find_pii, luhn_ok, redact, rrn_ok


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
