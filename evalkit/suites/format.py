"""A suite as evalkit runs it: the base suite file (`workbench.suitefile`: YAML, templates, case sources) with each
assertion parsed into a check by the one registry (`evalkit.suites.assertions`) and each case's checks validated
together."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path

from evalkit.suites.assertions import Check, parse_check
from workbench.errors import UserError
from workbench.suitefile import GEN_KEYS, SuiteCase, SuiteFile, render, suite_schema
from workbench.suitefile import load_suite as load_suite_file

__all__ = ["GEN_KEYS", "Case", "Suite", "load_suite", "render", "suite_schema"]


@dataclass
class Case(SuiteCase):
    """A rendered case whose assertions are parsed checks."""

    checks: list[Check]

    @property
    def needs_generation(self) -> bool:
        """Some check reads generated text (everything but `choice`, which reads loglikelihoods)."""
        return any(c.needs != "loglikelihood" for c in self.checks)

    @property
    def choice_check(self) -> Check | None:
        """The case's multiple-choice check, if it has one (at most one: `_finish`)."""
        return next((c for c in self.checks if c.needs == "loglikelihood"), None)

    def to_dict(self) -> dict:
        """Everything that decides the case's result, as JSON-ready data (the suite digest hashes it)."""
        return {
            "id": self.id,
            "prompt": self.prompt,
            "vars": self.vars,
            "tags": self.tags,
            "assert": [c.to_dict() for c in self.checks],
            "gen": self.gen,
            "threshold": self.threshold,
            "timeout_s": self.timeout_s,
        }


@dataclass
class Suite(SuiteFile):
    """A loaded suite of Cases."""

    cases: list[Case]

    @property
    def digest(self) -> str:
        """Changes whenever anything that decides a case's result changes (prompts, params, assertions)."""
        blob = json.dumps(
            [self.name, [c.to_dict() for c in self.cases]], sort_keys=True, ensure_ascii=False, default=str
        )
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def has_choice(self) -> bool:
        """Some case is multiple choice."""
        return any(c.choice_check for c in self.cases)


def _finish(raw: SuiteCase) -> Case:
    """A case's checks together: at most one multiple-choice question, asked as text."""
    case = Case(**{f.name: getattr(raw, f.name) for f in fields(SuiteCase)})
    where, case_id = raw.where, raw.id
    mc = [c for c in case.checks if c.needs == "loglikelihood"]
    if len(mc) > 1:
        raise UserError(f"{where}: case {case_id} has {len(mc)} choice assertions", hint="a case asks one question")
    if mc and not isinstance(case.prompt, str):  # its choices and answer were checked with the assertion
        raise UserError(f"{where}: case {case_id}: choice needs a text input, not messages")
    return case


def load_suite(path: str | Path) -> Suite:
    """Read, validate and render a suite file and parse its assertions; every error names file:line and the case."""
    sf = load_suite_file(path, parse_assert=parse_check, finish=_finish)
    return Suite(**{f.name: getattr(sf, f.name) for f in fields(SuiteFile)})
