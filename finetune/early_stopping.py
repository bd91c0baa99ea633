"""Early stopping on the held-out loss: stop after `patience` evals without a new best, and keep the best weights."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EarlyStopping:
    """Tracks the best eval loss (always: the summary reports it); with `patience` set, also stops and keeps weights.

    `best` and `bad` go into every checkpoint's state.json (as best_eval, bad_evals) so a resumed run counts on.
    """

    patience: int | None = None
    best: float | None = None
    bad: int = 0  # evals since the best one
    best_weights: dict | None = None  # the trainable tensors at the best eval (only with patience)

    def update(self, loss: float, lm) -> bool:
        """Record one eval loss of `lm`; True when training should stop."""
        if self.best is None or loss < self.best:
            self.best, self.bad = loss, 0
            if self.patience:
                self.best_weights = {n: p.detach().clone() for n, p in lm.named_parameters() if p.requires_grad}
            return False
        self.bad += 1
        return bool(self.patience) and self.bad >= self.patience

    def restore_best(self, lm) -> None:
        """Load the best eval's weights back into `lm` (a no-op when none were kept)."""
        if self.best_weights is not None:
            lm.load_state_dict(self.best_weights, strict=False)
