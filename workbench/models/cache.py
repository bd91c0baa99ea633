"""Model calls cached in the results store, keyed by fingerprint + request, written batch by batch (resumable)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from workbench.models.base import Generation, Model
from workbench.store import Store, schema


def cache_key(fingerprint: str, kind: str, request: dict[str, Any]) -> str:
    blob = json.dumps([fingerprint, kind, request], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _lookup(store: Store, keys: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    t = schema.outputs
    with store.engine.connect() as conn:
        for i in range(0, len(keys), 500):
            for row in conn.execute(sa.select(t.c.key, t.c.response).where(t.c.key.in_(keys[i : i + 500]))):
                found[row.key] = row.response
    return found


def _save(store: Store, rows: list[dict]) -> None:
    """Insert cache rows, ignoring keys another writer stored meanwhile."""
    if not rows:
        return
    have = _lookup(store, [r["key"] for r in rows])
    rows = [r for r in rows if r["key"] not in have]
    try:
        store.insert(schema.outputs, rows)
    except sa.exc.IntegrityError:
        for r in rows:
            try:
                store.insert(schema.outputs, [r])
            except sa.exc.IntegrityError:
                pass


def _cached_call(
    model: Model,
    store: Store,
    kind: str,
    items: Sequence,
    requests: list[dict],
    call,
    encode,
    decode,
    chunk: int,
    stats: dict | None,
) -> list:
    """Shared loop: look every request up, send the misses to `call` chunk by chunk, store each chunk at once."""
    keys = [cache_key(model.fingerprint, kind, r) for r in requests]
    found = _lookup(store, list(dict.fromkeys(keys)))
    out = [decode(found[k]) if k in found else None for k in keys]
    where: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if out[i] is None:
            where.setdefault(k, []).append(i)
    todo = list(where)
    if stats is not None:
        stats["cached"] = stats.get("cached", 0) + len(keys) - sum(len(v) for v in where.values())
        stats["computed"] = stats.get("computed", 0) + len(todo)
    for start in range(0, len(todo), chunk):
        batch = todo[start : start + chunk]
        results = call([items[where[k][0]] for k in batch])
        rows = []
        for k, res in zip(batch, results):
            for i in where[k]:
                out[i] = res
            value = encode(res)
            if value is not None:
                rows.append(
                    dict(
                        key=k,
                        kind=kind,
                        fingerprint=model.fingerprint[:64],
                        request=requests[where[k][0]],
                        response=value,
                    )
                )
        _save(store, rows)
    return out


def cached_generate(
    model: Model, store: Store | None, prompts: Sequence, *, chunk: int = 32, stats: dict | None = None, **params
) -> list[Generation]:
    """`model.generate` with results cached under (fingerprint, prompt, params); only misses reach the model.

    Each chunk of misses is stored as soon as it finishes, so a killed run resumes where it stopped. Errors
    (endpoint failures returned with errors="return") are not cached."""
    if store is None:
        return model.generate(list(prompts), **params)
    key_params = {k: v for k, v in params.items() if k not in ("progress", "batch_size", "errors")}
    return _cached_call(
        model,
        store,
        "generate",
        prompts,
        [{"prompt": p, **key_params} for p in prompts],
        lambda ps: model.generate(ps, **params),
        lambda g: dataclasses.asdict(g) if g.error is None else None,
        lambda d: Generation(**d),
        chunk,
        stats,
    )


def cached_loglikelihood(
    model: Model,
    store: Store | None,
    requests: Sequence[tuple[str, str]],
    *,
    chunk: int = 256,
    stats: dict | None = None,
    **params,
) -> list[tuple[float, bool]]:
    """`model.loglikelihood` with each (context, continuation) cached in the store."""
    if store is None:
        return model.loglikelihood(list(requests), **params)
    return _cached_call(
        model,
        store,
        "loglikelihood",
        requests,
        [{"context": c, "continuation": k} for c, k in requests],
        lambda rs: model.loglikelihood(rs, **params),
        lambda r: list(r),
        tuple,
        chunk,
        stats,
    )
