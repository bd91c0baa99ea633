"""Narrowing a query on one of the results store's tables, as evalkit's readers of battles and verdicts do."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["narrowed"]


def narrowed(q: sa.Select, table: sa.Table, *, run_id: str | None = None, **equal) -> sa.Select:
    """`q` kept to the rows of the runs whose id starts with `run_id` (the prefix a user types) and whose columns
    equal the values in `equal`; a None or empty value keeps every row."""
    if run_id:
        q = q.where(table.c.run_id.like(f"{run_id}%"))
    for column, value in equal.items():
        if value:
            q = q.where(table.c[column] == value)
    return q
