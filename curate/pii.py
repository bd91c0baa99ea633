"""Personal data and secrets in text: emails, phone numbers (incl. Korean), payment cards (layout, issuer range,
Luhn), IP addresses, API-key-like secrets, Korean resident registration numbers (pattern + checksum). Findings carry
masked values only.

Validators keep precision up: a card number must be printed in a card layout (4-4-4-4, 4-6-5, 4-6-4 or 14-16
contiguous digits), start with a scheme's issuer range at that scheme's length and pass the Luhn check (ISO/IEC 7812-1
Annex B); an RRN must have a real birth date, a valid gender/century digit and the Ministry of the Interior checksum
(a 6-7 number that fails it, such as an order number, is nothing); an IPv6 address must parse (ipaddress); a generic
secret after `key=` must look random (Shannon entropy >= 3.5 bits per character). Values end at a Hangul particle or
any non-ASCII letter, so "010-1234-5678로" and "kim@example.com으로" are found without the particle.

Not PII here: business registration numbers (사업자등록번호, 123-45-67890) identify a business, are printed on every
receipt by law and are not among the unique identifiers of the Personal Information Protection Act (art. 24: RRN,
passport, driver's licence, alien registration numbers); dates, invoice and order numbers, versions and prices.
Measured on a labelled Korean/English set: benchmarks/bench_pii.py, benchmarks/precision/pii/README.md.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["PIIFinding", "find_pii", "redact", "luhn_ok", "card_ok", "rrn_ok", "KINDS"]

KINDS = ("email", "phone", "card", "ipv4", "ipv6", "secret", "rrn")


@dataclass(frozen=True)
class PIIFinding:
    kind: str  # one of KINDS
    start: int  # character span in the text
    end: int
    masked: str  # the value with most characters replaced by '*'
    excerpt: str = ""  # up to 30 characters of context either side, the value masked


# ---------------------------------------------------------------------------------------------------- validators
def luhn_ok(digits: str) -> bool:
    """Luhn mod-10 check (ISO/IEC 7812-1)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    """A payment card number: a scheme's issuer range with that scheme's length (_IIN), and the Luhn check."""
    return any(len(digits) == n and lo <= int(digits[: len(str(lo))]) <= hi for (lo, hi), n in _IIN) and luhn_ok(digits)


_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def rrn_ok(value: str) -> bool:
    """Korean resident registration number YYMMDD-GNNNNNN: valid month/day, G in 1-8, checksum
    (11 - sum(d_i * w_i) mod 11) mod 10 for citizens (G 1-4), (13 - ...) mod 10 for registered foreigners (G 5-8)."""
    d = value.replace("-", "").replace(" ", "")
    if len(d) != 13 or not d.isdigit():
        return False
    mm, dd, g = int(d[2:4]), int(d[4:6]), int(d[6])
    if not (1 <= mm <= 12 and 1 <= dd <= _DAYS[mm - 1]) or g not in range(1, 9):
        return False
    s = sum(int(c) * w for c, w in zip(d[:12], _RRN_WEIGHTS))
    check = (11 - s % 11) % 10 if g <= 4 else (13 - s % 11) % 10
    return check == int(d[12])


def _entropy(s: str) -> float:
    c = Counter(s)
    return -sum(v / len(s) * math.log2(v / len(s)) for v in c.values())


# ------------------------------------------------------------------------------------------------------ patterns
# Boundaries are ASCII: a Hangul particle glued to a value ("010-1234-5678로", "kim@example.com으로") or a word glued
# before it ("연락처010-...") ends it, as does any letter of a script other than Latin. `\b` and `\w` would not:
# in Python's Unicode regexes Hangul is a word character, so a value followed by a particle was never found.
_W = r"A-Za-z0-9_"  # ASCII word characters: what may not touch a value
_EMAIL = re.compile(
    rf"(?<![{_W}.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}}@[A-Za-z0-9](?:[A-Za-z0-9-]{{0,62}}[A-Za-z0-9])?"
    rf"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{{0,62}}[A-Za-z0-9])?)*\.[A-Za-z]{{2,24}}(?![{_W}-]|\.[A-Za-z0-9])"
)
_RRN = re.compile(r"(?<![\d-])\d{6}\s?-\s?[1-8]\d{6}(?![\d-])")
# Cards only in the layouts issuers print (ISO/IEC 7812 lengths): 4-4-4-4 (16 digits), 4-6-5 (Amex, 15), 4-6-4
# (Diners, 14), or 14-16 contiguous digits; the digits must also fall in a scheme's issuer range (card_ok). A
# 13-digit "431028-9145988" (the 6-7 layout of a registration number or an order number) is no card however its
# Luhn sum comes out.
_CARD = re.compile(r"(?<![\d-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}|\d{4}([ -])\d{6}\2\d{4,5}|\d{14,16})(?![\d-])")
# Issuer ranges (first digits) and the one length each scheme issues: Visa 4 (16), Mastercard 51-55 and 2221-2720
# (16), Amex 34/37 (15), Diners 300-305/36/38/39 (14), Discover 6011/644-649/65 (16), JCB 3528-3589 (16), UnionPay
# 62 (16). Korean domestic-only cards (e.g. BC 9xxx) are left out: a 9-prefixed 16-digit number is more often an id.
_IIN = (
    ((4, 4), 16), ((51, 55), 16), ((2221, 2720), 16), ((34, 34), 15), ((37, 37), 15), ((300, 305), 14),
    ((36, 36), 14), ((38, 39), 14), ((6011, 6011), 16), ((644, 649), 16), ((65, 65), 16), ((3528, 3589), 16),
    ((62, 62), 16),
)  # fmt: skip
_PHONE = re.compile(
    rf"(?<![{_W}+-])(?:"
    r"\+82[ -]?(?:\(0\))?(?:1[016789]|2|[3-6][1-5])[ -]?\d{3,4}[ -]?\d{4}"  # +82 10 1234 5678, +82-2-123-4567
    r"|0(?:1[016789]|2|[3-6][1-5]|70)[ -.]?\d{3,4}[ -.]?\d{4}"  # 010-1234-5678, 02-123-4567, 031-...
    r"|(?:\(0(?:2|[3-6][1-5]|70)\)\s?|0(?:2|[3-6][1-5]|70)\))\d{3,4}-\d{4}"  # (02) 1234-5678, 02)1234-5678
    r"|\+\d{1,3}[ -.]?\(?\d{1,4}\)?(?:[ -.]?\d{2,4}){2,3}"  # other international numbers
    r"|\(\d{3}\)\s?\d{3}[-.]\d{4}|\d{3}[-.]\d{3}[-.]\d{4}"  # North American (555) 123-4567
    rf")(?![{_W}-]|[.]\d)"
)
_IPV4 = re.compile(
    rf"(?<![{_W}.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){{3}}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![{_W}]|\.\d)"
)
_IPV6 = re.compile(rf"(?<![{_W}:])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}[0-9A-Fa-f]{{0,4}}(?![{_W}:])")
_SECRETS = [
    re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),  # OpenAI / Anthropic style
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])"),  # AWS access key id
    re.compile(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}"),  # GitHub tokens
    re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{60,}"),
    re.compile(r"(?<![A-Za-z0-9_])xox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack
    re.compile(r"(?<![A-Za-z0-9_])AIza[0-9A-Za-z_-]{35}"),  # Google API key
    re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
]
_KEYVAL = re.compile(
    r"(?i)(?:api[_-]?key|secret|token|passw(?:or)?d|access[_-]?key|auth)[\"']?\s*[:=]\s*[\"']?"
    r"([A-Za-z0-9_\-/+=.]{16,})"
)


def _mask(kind: str, v: str) -> str:
    if kind == "email":
        user, _, dom = v.partition("@")
        return user[:1] + "***@" + dom
    if kind in ("card", "phone", "rrn"):
        digits_seen, out = 0, []
        total = sum(c.isdigit() for c in v)
        keep_tail = 4 if kind != "rrn" else 0
        keep_head = 3 if kind == "phone" else (7 if kind == "rrn" else 0)
        for c in v:
            if c.isdigit():
                digits_seen += 1
                out.append(c if digits_seen <= keep_head or digits_seen > total - keep_tail else "*")
            else:
                out.append(c)
        return "".join(out)
    if kind in ("ipv4", "ipv6"):
        sep = "." if kind == "ipv4" else ":"
        parts = v.split(sep)
        return sep.join([parts[0]] + ["*" * len(p) if p else "" for p in parts[1:]])
    return v[:4] + "*" * max(4, len(v) - 4)


def find_pii(text: str, *, kinds: tuple[str, ...] = KINDS) -> list[PIIFinding]:
    """All findings in `text`, sorted by position; overlapping matches keep the first-checked (more specific) kind."""
    if not text:
        return []
    if not isinstance(text, str):
        text = str(text)
    spans: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(s: int, e: int, kind: str):
        if kind in kinds and not any(s < te and ts < e for ts, te in taken):
            spans.append((s, e, kind))
            taken.append((s, e))

    for rx in _SECRETS:
        for m in rx.finditer(text):
            add(m.start(), m.end(), "secret")
    for m in _KEYVAL.finditer(text):
        v = m.group(1)
        if _entropy(v) >= 3.5 and any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
            add(m.start(1), m.end(1), "secret")
    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _RRN.finditer(text):
        if rrn_ok(m.group()):
            add(m.start(), m.end(), "rrn")
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if card_ok(digits):
            add(m.start(), m.end(), "card")
    for m in _IPV4.finditer(text):
        add(m.start(), m.end(), "ipv4")
    for m in _IPV6.finditer(text):
        v = m.group()
        if v.count(":") >= 2 and any(c.isalnum() for c in v):
            try:
                ipaddress.IPv6Address(v)
            except ValueError:
                continue
            add(m.start(), m.end(), "ipv6")
    for m in _PHONE.finditer(text):
        if sum(c.isdigit() for c in m.group()) >= 9:
            add(m.start(), m.end(), "phone")

    out = []
    for s, e, kind in sorted(spans):
        masked = _mask(kind, text[s:e])
        lo, hi = max(0, s - 30), min(len(text), e + 30)
        excerpt = ("…" if lo else "") + text[lo:s] + masked + text[e:hi] + ("…" if hi < len(text) else "")
        out.append(PIIFinding(kind, s, e, masked, excerpt.replace("\n", " ")))
    return out


def redact(text: str, *, kinds: tuple[str, ...] = KINDS) -> str:
    """`text` with every finding replaced by a placeholder like [EMAIL] or [RRN]."""
    if not text:
        return text
    out, last = [], 0
    for f in find_pii(text, kinds=kinds):
        out.append(text[last : f.start])
        out.append(f"[{f.kind.upper()}]")
        last = f.end
    out.append(text[last:])
    return "".join(out)
