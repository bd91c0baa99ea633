"""The contamination stage: curate.contamination's scan (GPT-3 appendix C and lm-evaluation-harness 13-gram overlap,
plus near-duplicate matches) fed the training records chunk by chunk, so only the test set is held."""

from __future__ import annotations

from pathlib import Path

from curate.contamination import ContaminationResult, ContaminationScan
from curate.dedup import NEAR
from curate.fields import FieldTypeError, detect_fields, prompt_text, to_pair
from curate.stages.base import Batch, Run, Stage
from workbench import tabular as io
from workbench.errors import UserError

__all__ = ["Contamination", "contamination_text", "load_test_items"]


def contamination_text(prompt: str, answer: str) -> str:
    """A training record as the contamination check sees it: each field on its own line."""
    return f"{prompt}\n{answer}"


def load_test_items(test: str) -> list[tuple[str, str]]:
    """(test_id, text) per test item from a suite YAML or a data file (question field; MC choices not included)."""
    p = Path(test)
    if not p.exists():
        raise UserError(f"--test {test}: no such file", hint="pass a suite .yaml or a data file with questions")
    if p.suffix.lower() in (".yaml", ".yml"):
        from workbench.suitefile import load_suite

        items = []
        for case in load_suite(p).cases:
            text = case.vars.get("question") if isinstance(case.vars, dict) else None
            items.append((case.id, str(text) if text else prompt_text(case.prompt)))
        return items
    rows = list(io.read_numbered(p))
    fmap = detect_fields(list(dict.fromkeys(k for _, r in rows for k in r)), source=f"--test {p}")
    id_col = next((c for c in fmap.columns if c.lower() in ("id", "case_id", "uid")), None)
    items = []
    for line, row in rows:
        try:
            prompt, answer = to_pair(row, fmap)
        except FieldTypeError as e:
            raise UserError(f"--test {p}:{line}: {e.message}", hint="fix that test item") from None
        text = prompt_text(prompt) if fmap.kind != "text" else answer
        items.append((str(row[id_col]) if id_col else f"{p.name}:{line}", text))
    return items


class Contamination(Stage):
    """Test items (`test`: a suite YAML or a data file) overlapping the training records by a word `n`-gram, or near
    one (Jaccard >= `near_threshold` of word shingles, MinHash seeded by `seed`)."""

    name = "contamination"

    def __init__(self, test: str, n: int = 13, near_threshold: float = NEAR.threshold, seed: int = 0):
        self.test = test
        self.n = n
        self.near_threshold = near_threshold
        self.seed = seed

    def begin(self, run: Run) -> None:
        self.items = load_test_items(self.test)
        self.result: ContaminationResult | None = None
        self._scan = ContaminationScan(self.items, n=self.n, near_threshold=self.near_threshold, seed=self.seed)

    def add(self, batch: Batch) -> None:
        self._scan.add([contamination_text(q, a) for q, a in zip(batch.prompts, batch.answers)], batch.start)

    def finish(self, run: Run) -> None:
        self.result = self._scan.result()

    def report(self, run: Run) -> None:
        res, by_id = self.result, dict(self.items)
        listed = [
            {
                **it,
                "test_text": by_id.get(it["test_id"], "")[:200],
                "train_line": int(run.lines[it["train_index"]]) if it.get("train_index") is not None else None,
            }
            for it in res.items[:500]
        ]
        run.sections["contamination"] = {
            "test": self.test,
            "test_items": len(self.items),
            "contaminated": len(res.contaminated_ids),
            "contaminated_ids": list(res.contaminated_ids),
            "items": listed,
            "figures": res.figures,
        }
