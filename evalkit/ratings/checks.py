"""Range checks for the rating functions' numeric arguments: nonsense (a negative prior, a zero K factor, NaN) raises
InputError, a ValueError naming the argument, instead of overflowing into ratings around 1e26."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from workbench.errors import InputError

__all__ = ["require", "self_battles"]


def require(
    name: str,
    value,
    *,
    at_least: float | None = None,
    above: float | None = None,
    below: float | None = None,
    integer: bool = False,
):
    """`value` unchanged when it is a finite number (an integer when `integer`) within the bounds, else InputError."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value):
        raise InputError(f"{name} must be a finite {'integer' if integer else 'number'}, got {value!r}")
    for ok, rule in (
        (at_least is None or value >= at_least, f">= {at_least}"),
        (above is None or value > above, f"> {above}"),
        (below is None or value < below, f"< {below}"),
    ):
        if not ok:
            raise InputError(f"{name} must be {rule}, got {value!r}")
    return value


def self_battles(places: Sequence[tuple[str, str]]) -> InputError:
    """The one error for battles where a model plays itself, whichever way they came in (`evalkit ratings`,
    `battles import`, `ratings-import`): `places` are (where, model) pairs, where naming the file:line."""
    shown = ", ".join(f"{where} ({model!r} vs itself)" for where, model in places[:3])
    more = f" and {len(places) - 3} more rows" if len(places) > 3 else ""
    return InputError(
        f"self-battle at {shown}{more}", hint="a model can't battle itself: drop those rows or fix the model names"
    )
