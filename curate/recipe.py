"""Clean recipes (curate/recipes/*.yaml): one loader and one validation, shared by `curate clean --recipe` and
`curate audit --recipe`, so a file one command refuses the other refuses too, with the same message (the file and the
key named, the valid keys listed). Everything is checked before a record is read."""

from __future__ import annotations

import os

from workbench.errors import UserError

__all__ = [
    "CONTAMINATION_KEYS",
    "DEDUP_KEYS",
    "KEEP_POLICIES",
    "RECIPE_KEYS",
    "REVIEW_BELOW",
    "load_recipe",
    "recipe_options",
]

RECIPE_KEYS = ("contamination", "dedup", "description", "name", "near", "pii", "review_below", "signals")
DEDUP_KEYS = ("exact", "keep", "near", "near_settings")
CONTAMINATION_KEYS = ("n", "test")
KEEP_POLICIES = ("first", "longest", "best")
_EXACT = ("pair", "question", "answer", "none")
_PII = ("keep", "redact", "drop")
_DOC = "docs/curate.md"
# A flag drops its record when the reason's measured precision (curate.signals, docs/flags.md) is at least this; a
# record whose flags are all less sure, or not measured, goes to the review file instead. 0.8: issue 23's target.
REVIEW_BELOW = 0.8


def load_recipe(path: str | os.PathLike) -> dict:
    """The recipe in the YAML file `path`, validated (`recipe_options`); a missing file, bad YAML or a bad key is a
    UserError naming the file."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            recipe = yaml.safe_load(fh)
    except FileNotFoundError:
        raise UserError(f"{path}: no such recipe file", hint="see curate/recipes/default.yaml for one") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a recipe file", hint="pass a recipe .yaml file") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})", hint="save the recipe as UTF-8") from None
    except yaml.YAMLError as e:
        raise UserError(f"{path}: not valid YAML ({e})", hint="fix the YAML; see " + _DOC) from None
    recipe = {} if recipe is None else recipe
    recipe_options(recipe, source=str(path))
    return recipe


def _unknown(section: str, given, valid: tuple, source: str) -> None:
    unknown = sorted(str(k) for k in set(given) - set(valid))
    if unknown:
        where = "" if not section else f" in `{section}`"
        raise UserError(
            f"{source}: unknown key(s){where} {unknown}",
            hint=f"{section + ' ' if section else 'recipe '}keys: {', '.join(valid)} (see {_DOC})",
        )


def _mapping(recipe: dict, key: str, source: str, what: str) -> dict:
    value = recipe.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"{source}: `{key}` must be a mapping ({what}), got {value!r}", hint=f"see {_DOC}")
    return value


def _one_of(value, valid: tuple, name: str, source: str) -> None:
    if value not in valid:
        raise UserError(f"{source}: {name} {value!r} is unknown", hint=f"use one of {', '.join(valid)}")


def recipe_options(recipe, source: str = "recipe") -> dict:
    """Validate a recipe (a mapping read from YAML) and return the clean policy it sets: `exact`, `near`, `keep`,
    `pii`, `near_settings`, `review_below`. Every key, value and number is checked, the signals built once to check their names and
    settings; a bad one is a UserError naming `source` and the key, listing what is valid."""
    from curate.signals import build_signals
    from curate.stages import near_settings

    if not isinstance(recipe, dict):
        raise UserError(f"{source}: a recipe is a mapping with `signals:`, `dedup:`, `pii:` keys", hint=f"see {_DOC}")
    _unknown("", recipe, RECIPE_KEYS, source)
    dedup = _mapping(recipe, "dedup", source, "exact, near, near_settings, keep")
    _unknown("dedup", dedup, DEDUP_KEYS, source)
    keep = dedup.get("keep", "first")
    _one_of(keep, KEEP_POLICIES, "dedup.keep", source)
    exact = dedup.get("exact", "pair")
    exact = "none" if exact in (None, False) else exact
    _one_of(exact, _EXACT, "dedup.exact", source)
    near = dedup.get("near", True)
    if not isinstance(near, bool):
        raise UserError(f"{source}: dedup.near {near!r} is not true or false", hint="write near: true or near: false")
    pii = recipe.get("pii", "keep") or "keep"
    _one_of(pii, _PII, "pii", source)
    settings = _mapping(dedup, "near_settings", source, "threshold, shingle, num_perm, ...") or _mapping(
        recipe, "near", source, "threshold, shingle, num_perm, ..."
    )
    signals = recipe.get("signals")
    if signals is not None and not isinstance(signals, list):
        raise UserError(
            f"{source}: `signals` must be a list of signal specs, got {signals!r}",
            hint="write e.g. `signals: [truncated, html_remnant]`",
        )
    review_below = recipe.get("review_below", REVIEW_BELOW)
    if isinstance(review_below, bool) or not isinstance(review_below, (int, float)) or not 0 <= review_below <= 1:
        raise UserError(
            f"{source}: review_below {review_below!r} is not a precision in [0, 1]",
            hint=f"e.g. review_below: {REVIEW_BELOW} (flags less sure go to review; 0 drops on every flag)",
        )
    contamination = _mapping(recipe, "contamination", source, "test, n")
    _unknown("contamination", contamination, CONTAMINATION_KEYS, source)
    n = contamination.get("n", 13)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UserError(f"{source}: contamination.n {n!r} is not a whole number >= 1", hint="e.g. n: 13")
    try:
        near_settings(settings)
        if signals is not None:
            build_signals(signals)
    except UserError as e:
        raise UserError(f"{source}: {e.message}", hint=e.hint) from None
    return {
        "exact": exact,
        "near": near,
        "keep": keep,
        "pii": pii,
        "near_settings": dict(settings),
        "review_below": float(review_below),
    }
