"""User-facing errors and the documented exit codes shared by every CLI."""

from __future__ import annotations

OK = 0
UNEXPECTED = 1
BAD_INPUT = 2  # usage errors and bad input files
GATE_FAILED = 3  # curate --fail-on, compare found a significant drop, finetune audit refusal
MODEL_ERROR = 4  # a model could not be loaded or an endpoint failed


class UserError(Exception):
    """An error the user can fix: printed as a message with a hint, never as a traceback."""

    def __init__(self, message: str, hint: str | None = None, code: int = BAD_INPUT):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(ValueError):
    """Data a pure function can't use (a table to validate, a statistic's argument): a ValueError, so the function
    needs no CLI, carrying the hint a person needs; `user_error` makes it the CLI's UserError (exit 2)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


def user_error(e: ValueError) -> UserError:
    """A pure function's ValueError as a UserError with the same message and hint, for a CLI or a page to show."""
    return UserError(getattr(e, "message", str(e)), hint=getattr(e, "hint", None))


class ModelError(UserError):
    """A model could not be loaded or an endpoint failed after its retries."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message, hint=hint, code=MODEL_ERROR)
