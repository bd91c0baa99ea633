"""Build benchmarks/precision/pii/pii.jsonl: a labelled PII set in Korean and English, written the way people write.

Every value is synthetic and every label is known by construction (no real person's data): phone numbers are random
digits in the Korean mobile/landline layouts (US numbers in the 555-01xx range reserved for fiction, UK ones in
Ofcom's 020 7946 0xxx drama range), e-mail addresses use the reserved example.com/.org/.net domains (RFC 2606),
card numbers are the schemes' published test numbers (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay), and
resident registration numbers are random birth dates with the checksum computed (curate.pii.rrn_ok's rule).

Each value goes into hand-written sentence frames: Korean with the particle glued to the value ("010-1234-5678로"),
after a space ("010-1234-5678 로"), glued to the word before it ("연락처010-..."), and English. Hard negatives are
look-alikes that must not be reported: Korean order numbers in the 6-7 layout of a registration number (failing its
checksum, most of them passing Luhn), 16-digit order numbers that pass Luhn, dates, invoice numbers, versions,
prices, business registration numbers, ISBNs, parcel tracking numbers and bank account numbers.

    .venv/bin/python benchmarks/precision/pii/make_set.py      # rewrites pii.jsonl (same seed, same file)

A record: {"id", "lang", "text", "pii": [{"kind", "sub", "value"}], "lookalikes": [{"kind", "value"}]}; every
value is an exact substring of the text. The benchmark (benchmarks/bench_pii.py) scores curate.pii against it.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from curate.pii import luhn_ok, rrn_ok  # noqa: E402
from workbench.atomic import atomic_write  # noqa: E402

SEED = 23
OUT = HERE / "pii.jsonl"

# The schemes' published test card numbers (Stripe and PayPal test-card lists), by layout length.
TEST_CARDS = [
    "4111111111111111", "4012888888881881", "4242424242424242", "4000056655665556",  # Visa
    "5555555555554444", "5105105105105100", "2223003122003222", "5200828282828210",  # Mastercard (51-55, 2221-2720)
    "378282246310005", "371449635398431", "378734493671000",  # American Express (34, 37; 4-6-5)
    "6011111111111117", "6011000990139424",  # Discover
    "30569309025904", "38520000023237", "36227206271667",  # Diners Club (14 digits; 4-6-4)
    "3530111333300000", "3566002020360505",  # JCB
    "6200000000000005",  # UnionPay
]  # fmt: skip

# ------------------------------------------------------------------------------------------ sentence frames
KO = {
    "phone": [
        "연락처는 {v}입니다.",
        "{v}로 연락 주세요.",
        "{v}으로 전화 주시면 됩니다.",
        "휴대폰 번호가 {v}이에요.",
        "문의: {v} (평일 9시~18시)",
        "제 번호는 {v} 입니다.",
        "연락처{v}로 문자 주세요.",
        "{v} 로 연락 바랍니다.",
        "급하면 {v}번으로 전화해.",
        "담당자 김민수({v})에게 문의하세요.",
        "전화번호:{v}",
        "{v}까지 연락 주세요.",
        "사무실 번호는 {v}이고 팩스는 없습니다.",
        "고객센터 대신 {v}에 전화했어요.",
    ],
    "email": [
        "메일은 {v}으로 보내 주세요.",
        "{v}로 이력서를 보내세요.",
        "이메일: {v}",
        "제 메일 주소는 {v}입니다.",
        "자세한 내용은 {v}에 문의하세요.",
        "메일주소{v}로 회신 바랍니다.",
        "{v} 으로 연락 주세요.",
        "담당자 이메일({v})을 확인하세요.",
        "{v}이 제 업무용 메일이에요.",
        "회신은 {v}까지 부탁드립니다.",
    ],
    "card": [
        "카드번호는 {v}입니다.",
        "{v}로 결제했어요.",
        "결제 카드: {v}",
        "카드 {v} 으로 승인되었습니다.",
        "제 카드번호{v}로 환불해 주세요.",
        "{v}번 카드가 정지됐어요.",
        "등록된 카드는 {v}이고 유효기간은 12/27입니다.",
    ],
    "rrn": [
        "주민등록번호는 {v}입니다.",
        "주민번호{v}로 조회했습니다.",
        "{v} 으로 본인 확인을 했어요.",
        "신청서에 {v}를 적었어요.",
        "주민등록번호: {v}",
        "외국인등록번호 {v}이 맞는지 확인 부탁드려요.",
        "{v}번으로 가입되어 있습니다.",
    ],
}
EN = {
    "phone": [
        "Call me at {v}.",
        "My number is {v}, text first.",
        "Phone: {v}",
        "Reach the office on {v} after 9am.",
        "You can contact Dr. Kim ({v}) directly.",
    ],
    "email": ["Send your CV to {v}.", "Email: {v}", "Contact {v}, or reply here.", "My address is <{v}>."],
    "card": ["Card number: {v}", "I paid with {v} yesterday.", "Please refund to card {v}, expiry 12/27."],
}
NEG_KO = {
    "order_number": [
        "주문번호 {v}로 조회해 주세요.",
        "주문번호는 {v}입니다.",
        "{v} 주문 건 배송이 늦어요.",
        "주문번호{v}번 취소 요청합니다.",
    ],
    "order_number_16": ["주문번호 {v}로 확인됩니다.", "{v}번 주문이 접수되었습니다."],
    "date": ["{v}에 배송될 예정입니다.", "계약일은 {v}입니다.", "{v}부터 시행됩니다."],
    "invoice": ["송장번호 {v}로 발송했습니다.", "청구서 번호는 {v}입니다.", "인보이스{v}를 확인하세요."],
    "version": ["{v} 버전으로 업데이트하세요.", "버전은 {v}입니다.", "Python {v}에서 동작합니다."],
    "price": ["가격은 {v}입니다.", "총 {v}을 결제했습니다.", "{v}로 할인 중이에요."],
    "business_number": ["사업자등록번호: {v}", "사업자번호는 {v}입니다.", "사업자등록번호{v}로 조회하세요."],
    "isbn": ["ISBN {v}인 책을 찾습니다.", "도서 번호 {v}로 주문했어요."],
    "tracking": ["운송장 번호는 {v}입니다.", "택배 {v}번 조회가 안 돼요."],
    "account": ["입금 계좌는 신한 {v}입니다.", "계좌번호 {v}로 보내 주세요."],
}
NEG_EN = {
    "order_number": ["Order #{v} has shipped.", "Your order number is {v}."],
    "date": ["Released on {v}.", "The contract starts {v}."],
    "invoice": ["Invoice {v} is overdue.", "See invoice no. {v}."],
    "version": ["Upgrade to version {v}.", "Tested on {v}."],
    "price": ["It costs {v}.", "Total: {v} incl. VAT."],
}


# ------------------------------------------------------------------------------------------------- values
def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def mobile(rng):
    mid, tail = str(rng.randint(2000, 9999)), _digits(rng, 4)
    sep = rng.choice(["-", "-", "-", " ", ".", ""])
    return f"010{sep}{mid}{sep}{tail}", "mobile"


def landline(rng):
    area = rng.choice(["02", "02", "031", "032", "051", "053", "062", "064", "070"])
    mid = str(rng.randint(200, 999)) if area == "02" and rng.random() < 0.4 else str(rng.randint(2000, 9999))
    form = rng.choice(["{a}-{m}-{t}", "{a}-{m}-{t}", "{a} {m} {t}", "({a}) {m}-{t}", "{a}){m}-{t}"])
    return form.format(a=area, m=mid, t=_digits(rng, 4)), "landline"


def intl_kr(rng):
    if rng.random() < 0.6:
        mid = str(rng.randint(2000, 9999))
        return rng.choice([f"+82-10-{mid}-{_digits(rng, 4)}", f"+82 10 {mid} {_digits(rng, 4)}"]), "+82"
    return rng.choice([f"+82-2-{rng.randint(200, 999)}-{_digits(rng, 4)}", f"+82 31 {rng.randint(2000, 9999)} {_digits(rng, 4)}"]), "+82"  # fmt: skip


def en_phone(rng):
    area, line = rng.choice(["212", "415", "617", "312"]), f"01{rng.randint(0, 99):02d}"
    forms = [f"({area}) 555-{line}", f"{area}-555-{line}", f"+1 {area} 555 {line}", f"+44 20 7946 0{_digits(rng, 3)}"]
    return rng.choice(forms), "en"


NAMES = ["kim", "lee.minho", "park_j", "choi.soyeon", "jung92", "hr-team", "jane.doe", "j.smith+news", "support", "yuna.kang"]  # fmt: skip
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "corp.example.co.kr", "example.ac.kr"]


def email(rng):
    return f"{rng.choice(NAMES)}@{rng.choice(DOMAINS)}", "email"


def card(rng):
    d = rng.choice(TEST_CARDS)
    sep = rng.choice(["-", " ", ""])
    if len(d) == 16:
        return sep.join(d[i : i + 4] for i in range(0, 16, 4)), f"{len(d)}"
    return (sep.join([d[:4], d[4:10], d[10:]]) if sep else d), f"{len(d)}"  # 4-6-5 (Amex), 4-6-4 (Diners)


def _birth(rng) -> str:
    mm = rng.randint(1, 12)
    return f"{rng.randint(0, 99):02d}{mm:02d}{rng.randint(1, 28):02d}"


def rrn(rng):
    while True:
        g = rng.choice("12341234" + "5678")
        v = f"{_birth(rng)}-{g}{_digits(rng, 6)}"
        if rrn_ok(v):
            return rng.choice([v, v, v, v.replace("-", " - ")]), "citizen" if g in "1234" else "foreigner"


# ------------------------------------------------------------------------------------------ look-alikes
def order_number(rng):
    """YYMMDD-NNNNNNN like a registration number, failing its checksum; two in three pass Luhn by chance."""
    want_luhn = rng.random() < 2 / 3
    while True:
        v = f"{_birth(rng)}-{_digits(rng, 7)}"
        if not rrn_ok(v) and luhn_ok(v.replace("-", "")) == want_luhn:
            return v


def order_number_16(rng):
    """A 16-digit order number (date + serial) that passes Luhn: a card only by layout, not by issuer range."""
    while True:
        v = f"2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{_digits(rng, 8)}"
        if luhn_ok(v):
            return v


LOOKALIKES = {
    "order_number": order_number,
    "order_number_16": order_number_16,
    "date": lambda r: r.choice(["2024-03-12", "2023.11.05", "20240312", "2024-03-12 14:30:00", "2025/01/31"]),
    "invoice": lambda r: f"{r.choice(['2024', '2025'])}-{r.randint(101, 1231):04d}-{r.randint(1, 9999):04d}",
    "version": lambda r: r.choice(["3.11.7", "v2.4.1", "10.0.22631.2861", "1.26.4", "2.3.0-rc1", "12.2.140"]),
    "price": lambda r: r.choice(
        [
            f"{r.randint(1, 999)},{r.randint(0, 999):03d},{r.randint(0, 999):03d}원",
            f"₩{r.randint(1, 99)},{r.randint(0, 999):03d}",
            f"${r.randint(1, 9)},{r.randint(0, 999):03d}.99",
        ]
    ),  # fmt: skip
    "business_number": lambda r: f"{r.randint(101, 899)}-{r.randint(1, 99):02d}-{_digits(r, 5)}",
    "isbn": lambda r: r.choice(["978-89-01-23456-7", "979-11-6224-019-2", "9788932473901"]),
    "tracking": lambda r: f"{r.randint(5000, 6999)}-{_digits(r, 4)}-{_digits(r, 4)}",
    "account": lambda r: f"110-{r.randint(100, 999)}-{_digits(r, 6)}",
}


# ------------------------------------------------------------------------------------------------ records
def positives(rng) -> list[dict]:
    plan = [  # (kind, maker, frames, lang, how many)
        ("phone", mobile, KO["phone"], "ko", 40),
        ("phone", landline, KO["phone"], "ko", 30),
        ("phone", intl_kr, KO["phone"], "ko", 14),
        ("phone", en_phone, EN["phone"], "en", 16),
        ("phone", mobile, EN["phone"], "en", 6),
        ("email", email, KO["email"], "ko", 40),
        ("email", email, EN["email"], "en", 12),
        ("card", card, KO["card"], "ko", 35),
        ("card", card, EN["card"], "en", 12),
        ("rrn", rrn, KO["rrn"], "ko", 40),
    ]
    out = []
    for kind, make, frames, lang, n in plan:
        for j in range(n):
            value, sub = make(rng)
            text = frames[j % len(frames)].format(v=value)
            out.append(
                {"lang": lang, "text": text, "pii": [{"kind": kind, "sub": sub, "value": value}], "lookalikes": []}
            )
    return out


def negatives(rng) -> list[dict]:
    plan = {"order_number": 45, "order_number_16": 12, "date": 15, "invoice": 15, "version": 12, "price": 12,
            "business_number": 15, "isbn": 6, "tracking": 10, "account": 8}  # fmt: skip
    out = []
    for kind, n in plan.items():
        for j in range(n):
            lang = "en" if kind in NEG_EN and j % 4 == 3 else "ko"
            frames = (NEG_EN if lang == "en" else NEG_KO)[kind]
            value = LOOKALIKES[kind](rng)
            text = frames[j % len(frames)].format(v=value)
            out.append({"lang": lang, "text": text, "pii": [], "lookalikes": [{"kind": kind, "value": value}]})
    return out


def mixed(rng) -> list[dict]:
    """An order number and a phone number (or an e-mail) in one Korean sentence: both must be told apart."""
    out = []
    for j in range(12):
        order = order_number(rng)
        value, sub = mobile(rng) if j % 2 else email(rng)
        kind = "phone" if j % 2 else "email"
        text = f"주문번호 {order} 관련 문의는 {value}{'로' if j % 2 else '으로'} 해 주세요."
        out.append({"lang": "ko", "text": text, "pii": [{"kind": kind, "sub": sub, "value": value}],
                    "lookalikes": [{"kind": "order_number", "value": order}]})  # fmt: skip
    return out


# Hand-written cases in forms the frames above do not produce: two values in one text, labels and symbols glued to
# a value, upper case, old mobile prefixes, and look-alikes in other Korean layouts. (text, [(kind, sub, value)],
# [(look-alike kind, value)]).
HAND = [
    (
        "Tel.02-123-4567 / Fax.02-123-4568",
        [("phone", "landline", "02-123-4567"), ("phone", "landline", "02-123-4568")],
        [],
    ),  # fmt: skip
    ("tel:010-2468-1357로 문자 주세요", [("phone", "mobile", "010-2468-1357")], []),
    ("HP: 011-234-5678 (구 번호)", [("phone", "mobile", "011-234-5678")], []),
    ("☎031-8765-4321 대표번호 아님", [("phone", "landline", "031-8765-4321")], []),
    ("[010-9753-1864]번으로 연락", [("phone", "mobile", "010-9753-1864")], []),
    (
        "엄마 010-1357-2468, 아빠 010-8642-9753이에요.",
        [("phone", "mobile", "010-1357-2468"), ("phone", "mobile", "010-8642-9753")],
        [],
    ),  # fmt: skip
    ("+82 (0)10-5678-1234로 국제전화 주세요.", [("phone", "+82", "+82 (0)10-5678-1234")], []),
    ("연락처:01098765432입니다", [("phone", "mobile", "01098765432")], []),
    ("KIM.MINSU@EXAMPLE.COM으로 보내세요.", [("email", "email", "KIM.MINSU@EXAMPLE.COM")], []),
    ("홍길동<hong.gildong@example.org>에게 전달", [("email", "email", "hong.gildong@example.org")], []),
    ("메일(lee@example.net)로 주세요", [("email", "email", "lee@example.net")], []),
    (
        "담당: park@example.com, choi@example.com입니다.",
        [("email", "email", "park@example.com"), ("email", "email", "choi@example.com")],
        [],
    ),  # fmt: skip
    ("4111-1111-1111-1111(신한카드)로 결제", [("card", "16", "4111-1111-1111-1111")], []),
    ("5555 5555 5555 4444 (유효기간 12/27, CVC 123)", [("card", "16", "5555 5555 5555 4444")], []),
    ("카드:378282246310005이고요", [("card", "15", "378282246310005")], []),
    (
        "주민등록번호 850315-2345678, 연락처 010-2222-3333",
        [("rrn", "citizen", "850315-2345678"), ("phone", "mobile", "010-2222-3333")],
        [],
    ),  # fmt: skip
    (
        "주문번호 431028-9145988, 휴대폰 010-4444-5555로 안내",
        [("phone", "mobile", "010-4444-5555")],
        [("order_number", "431028-9145988")],
    ),  # fmt: skip
    ("영업시간 09:00-18:00, 문의 02-3456-7890", [("phone", "landline", "02-3456-7890")], [("time", "09:00-18:00")]),
    ("2024. 3. 12. 공지", [], [("date", "2024. 3. 12.")]),
    ("2024년 3월 12일 오후 2시", [], [("date", "2024년 3월 12일")]),
    ("바코드 8801234567893 상품", [], [("barcode", "8801234567893")]),
    ("주문번호 20240312-000123 배송 완료", [], [("order_number", "20240312-000123")]),
    ("문서번호 2024-03-12-0001을 참조", [], [("invoice", "2024-03-12-0001")]),
    ("카카오뱅크 3333-01-2345678로 입금", [], [("account", "3333-01-2345678")]),
    ("모델명 SM-S928N, 펌웨어 S928NKSU1AXB2", [], [("model", "SM-S928N")]),
    ("가격대 1,000-2,000원", [], [("price", "1,000-2,000원")]),
    ("좌표 37.5665, 126.9780 근처", [], [("coordinates", "37.5665, 126.9780")]),
    ("주문 1234-5678-9012-3456 조회", [], [("order_number_16", "1234-5678-9012-3456")]),
    ("접수번호 0312-1234-5678로 조회", [], [("order_number", "0312-1234-5678")]),
    ("Build 10.0.19045.3803 installed", [], [("version", "10.0.19045.3803")]),
    ("사업자 등록번호 220-81-62517 (주)예시", [], [("business_number", "220-81-62517")]),
]


def hand() -> list[dict]:
    return [
        {
            "lang": "en" if t.isascii() else "ko",
            "text": t,
            "pii": [{"kind": k, "sub": sb, "value": v} for k, sb, v in p],
            "lookalikes": [{"kind": k, "value": v} for k, v in la],
        }  # fmt: skip
        for t, p, la in HAND
    ]


def build(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    rows = positives(rng) + negatives(rng) + mixed(rng) + hand()
    for i, r in enumerate(rows):
        for item in r["pii"] + r["lookalikes"]:
            assert item["value"] in r["text"], (r["text"], item)
        for item in r["pii"]:
            if item["kind"] == "card":
                assert luhn_ok("".join(c for c in item["value"] if c.isdigit())), item
        r["id"] = f"{r['lang']}-{(r['pii'] or r['lookalikes'])[0]['kind']}-{i:03d}"
    return [
        {"id": r["id"], "lang": r["lang"], "text": r["text"], "pii": r["pii"], "lookalikes": r["lookalikes"]}
        for r in rows
    ]


def main() -> None:
    rows = build()
    atomic_write(OUT, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    n_pos = sum(len(r["pii"]) for r in rows)
    n_neg = sum(len(r["lookalikes"]) for r in rows)
    print(f"{OUT.relative_to(REPO)}: {len(rows)} records, {n_pos} PII values, {n_neg} look-alikes")


if __name__ == "__main__":
    main()
