"""The message templates: a count says its noun in the right number (issue 17: "1 records" in the audit's fixes)."""

from __future__ import annotations

from curate.stages.verdicts import MESSAGES
from workbench.messages import fill, message, render


def test_plural_spec_says_the_noun_in_the_right_number():
    assert fill("redact PII in {n:|record|records}", n=1) == "redact PII in 1 record"
    assert fill("redact PII in {n:|record|records}", n=0) == "redact PII in 0 records"
    assert fill("{n:|record|records} and {share:.1%}", n=12345, share=0.5) == "12,345 records and 50.0%"


def test_audit_fixes_read_right_for_one():
    text = render(message("audit.fix.near_duplicates", n=1, clusters=1), MESSAGES)
    assert text == "deduplicate 1 near-duplicate record in 1 cluster"
    assert render(message("audit.fix.reason", n=2, reason="truncated"), MESSAGES) == (
        "fix or drop 2 records flagged truncated"
    )
