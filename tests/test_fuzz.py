"""Fuzzing (issue 16): the readers, the suite loader and the recipe loader, fed any bytes, give records or a clean
error (`UserError`, or the `InputError` a pure function raises), never an exception of another kind.

Inputs are arbitrary byte strings and near-valid ones: a valid file with a byte flipped, a cut, or bytes spliced in,
and random YAML trees in the places of a valid suite's or recipe's values. Every test is derandomized (the same
examples on every run, so CI is reproducible) and bounded: all of them together take well under a minute.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError, UserError
from workbench.tabular import read_numbered

CLEAN_ERRORS = (UserError, InputError)
# No shrinking: a failure is reported as found, so a failing run takes no longer than a passing one.
FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=40)

# text without lone surrogates, so every string can be written as UTF-8
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
TREES = st.recursive(
    SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXT, kids, max_size=4), max_leaves=12
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _read(path: Path, **options) -> list[dict]:
    """Every record of `path`, or a clean error; anything else fails the test with the input kept in the message."""
    try:
        rows = [row for _line, row in read_numbered(path, **options)]
    except CLEAN_ERRORS:
        return []
    except Exception as e:  # noqa: BLE001 - the property under test
        raise AssertionError(f"{path.name}: {type(e).__name__}: {e} for {path.read_bytes()[:300]!r}") from e
    assert all(isinstance(r, dict) for r in rows)
    return rows


# -- valid files to mutate --------------------------------------------------------------------------------------------
RECORDS = st.lists(st.fixed_dictionaries({"question": TEXT, "answer": TEXT}), min_size=1, max_size=4)


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _csv(rows: list[dict], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["question", "answer"], delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _parquet(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


WRITERS = {
    ".jsonl": _jsonl,
    ".json": lambda rows: json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8"),
    ".csv": _csv,
    ".tsv": lambda rows: _csv(rows, "\t"),
    ".parquet": _parquet,
}


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """`data` with one change: a byte flipped, the tail cut, bytes spliced in, or a span deleted."""
    if not data:
        return draw(st.binary(max_size=16))
    at = draw(st.integers(0, len(data) - 1))
    how = draw(st.sampled_from(["flip", "cut", "splice", "delete"]))
    if how == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "cut":
        return data[:at]
    if how == "splice":
        junk = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b"\x00", b'"', b"\n", b"\xff\xfe", b"\r"]))
        return data[:at] + junk + data[at:]
    return data[:at] + data[at + draw(st.integers(1, 16)) :]


# -- the readers ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".tsv", ".parquet", ""])
@FUZZ
@given(data=st.binary(max_size=400))
def test_readers_on_any_bytes(folder, suffix, data):
    path = folder / f"any{suffix}"
    path.write_bytes(data)
    _read(path)
    _read(path, skip_bad=True, stats={})


@pytest.mark.parametrize("suffix", list(WRITERS))
@FUZZ
@given(data=st.data(), rows=RECORDS)
def test_readers_on_valid_files_with_one_fault(folder, suffix, data, rows):
    good = WRITERS[suffix](rows)
    path = folder / f"valid{suffix}"
    path.write_bytes(good)
    assert [{k: str(v) for k, v in r.items()} for r in _read(path)] == [
        {k: str(v) for k, v in r.items()} for r in rows
    ] or suffix in (".csv", ".tsv")  # CSV reads text: blank rows and bare newlines may read differently
    path.write_bytes(data.draw(mutated(good)))
    _read(path)
    _read(path, skip_bad=True, stats={}, max_record_bytes=64)


@FEW
@given(rows=st.lists(st.dictionaries(TEXT, TREES, max_size=4), min_size=1, max_size=4))
def test_jsonl_records_of_any_shape(folder, rows):
    """JSON Lines whose records hold nested values, NaN and infinities (as Python writes them)."""
    path = folder / "shapes.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    got = _read(path)
    assert len(got) in (0, len(rows))


# -- the suite loader -------------------------------------------------------------------------------------------------
def _load_suite(path: Path):
    from evalkit.suites import load_suite as evalkit_load
    from workbench.suitefile import load_suite as plain_load

    for load in (plain_load, evalkit_load):
        try:
            load(path)
        except CLEAN_ERRORS:
            pass
        except Exception as e:  # noqa: BLE001 - the property under test
            raise AssertionError(
                f"{load.__module__}.load_suite: {type(e).__name__}: {e} for\n{path.read_text('utf-8', 'replace')[:800]}"
            ) from e


def _or_tree(valid):
    """Mostly the valid value, sometimes any YAML tree in its place."""
    return st.one_of(valid, valid, valid, TREES)


def _assertion_types() -> list[str]:
    from evalkit.suites import known_types

    return known_types()


ASSERTIONS = st.builds(
    lambda t, v, extra: {"type": t, "value": v, **extra},
    _or_tree(st.sampled_from(_assertion_types())),
    _or_tree(TEXT),
    st.dictionaries(
        st.sampled_from(["choices", "answer", "min", "max", "ignore_case", "weight", "threshold", "rubric", "bogus"]),
        TREES,
        max_size=2,
    ),
)
CASES = st.builds(
    lambda i, text, checks, extra: {"id": i, "input": text, "assert": checks, **extra},
    _or_tree(TEXT.filter(bool)),
    _or_tree(TEXT),
    _or_tree(st.lists(ASSERTIONS, max_size=3)),
    st.dictionaries(
        st.sampled_from(["vars", "tags", "messages", "template", "max_new_tokens", "temperature", "threshold", "file"]),
        TREES,
        max_size=2,
    ),
)
SUITES = st.builds(
    lambda name, cases, extra: {"name": name, "cases": cases, **extra},
    _or_tree(TEXT.filter(bool)),
    _or_tree(st.lists(CASES, min_size=1, max_size=3)),
    st.dictionaries(st.sampled_from(["defaults", "version", "description", "nmae"]), TREES, max_size=2),
)


def _yaml(tree) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


@FEW
@given(data=st.binary(max_size=300))
def test_suite_loader_on_any_bytes(folder, data):
    path = folder / "any.yaml"
    path.write_bytes(data)
    _load_suite(path)


@FUZZ
@given(tree=SUITES)
def test_suite_loader_on_near_valid_suites(folder, tree):
    path = folder / "near.yaml"
    path.write_text(_yaml(tree), encoding="utf-8")
    _load_suite(path)


@FEW
@given(data=st.data())
def test_suite_loader_on_shipped_suites_with_one_fault(folder, data):
    repo = Path(__file__).resolve().parents[1]
    good = (repo / "suites" / data.draw(st.sampled_from(["sanity.yaml", "korean.yaml"]))).read_bytes()
    path = folder / "shipped.yaml"
    path.write_bytes(data.draw(mutated(good)))
    _load_suite(path)


# -- the recipe loader ------------------------------------------------------------------------------------------------
def _load_recipe(path: Path) -> None:
    from curate.recipe import load_recipe

    try:
        load_recipe(path)
    except CLEAN_ERRORS:
        pass
    except Exception as e:  # noqa: BLE001 - the property under test
        raise AssertionError(
            f"load_recipe: {type(e).__name__}: {e} for\n{path.read_text('utf-8', 'replace')[:800]}"
        ) from e


def _signal_names() -> list[str]:
    from curate.signals import REGISTRY

    return sorted(REGISTRY)


SIGNAL_SPECS = _or_tree(st.sampled_from(_signal_names())) | st.dictionaries(
    st.sampled_from(_signal_names()),
    st.dictionaries(
        st.sampled_from(["min_words", "min_words_no_punct", "min_similarity", "min_alnum_share", "filler", "bogus"]),
        TREES,
    ),
)
RECIPES = st.builds(
    lambda signals, dedup, pii, extra: {"signals": signals, "dedup": dedup, "pii": pii, **extra},
    _or_tree(st.lists(SIGNAL_SPECS, max_size=3)),
    _or_tree(
        st.fixed_dictionaries(
            {},
            optional={
                "exact": _or_tree(st.sampled_from(["pair", "question", "answer", "none"])),
                "near": _or_tree(st.booleans()),
                "keep": _or_tree(st.sampled_from(["first", "longest", "best"])),
                "near_settings": _or_tree(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "threshold": _or_tree(st.floats(0, 1)),
                            "shingle": _or_tree(st.integers(1, 9)),
                            "num_perm": _or_tree(st.integers(16, 256)),
                        },
                    )
                ),
            },
        )
    ),
    _or_tree(st.sampled_from(["keep", "redact", "drop"])),
    st.dictionaries(st.sampled_from(["contamination", "near", "description", "dedupe"]), TREES, max_size=2),
)


@FEW
@given(data=st.binary(max_size=300))
def test_recipe_loader_on_any_bytes(folder, data):
    path = folder / "any-recipe.yaml"
    path.write_bytes(data)
    _load_recipe(path)


@FUZZ
@given(tree=RECIPES)
def test_recipe_loader_on_near_valid_recipes(folder, tree):
    path = folder / "near-recipe.yaml"
    path.write_text(_yaml(tree), encoding="utf-8")
    _load_recipe(path)


@FEW
@given(data=st.data())
def test_recipe_loader_on_shipped_recipes_with_one_fault(folder, data):
    repo = Path(__file__).resolve().parents[1]
    good = (repo / "curate" / "recipes" / data.draw(st.sampled_from(["default.yaml", "enlighten.yaml"]))).read_bytes()
    path = folder / "shipped-recipe.yaml"
    path.write_bytes(data.draw(mutated(good)))
    _load_recipe(path)


def test_fuzzing_is_bounded_and_reproducible():
    """The settings every test above runs under: the same examples each run, a bounded number of them."""
    for s in (FUZZ, FEW):
        assert s.derandomize and s.deadline is None and s.max_examples <= 80 and not math.isinf(s.max_examples)
