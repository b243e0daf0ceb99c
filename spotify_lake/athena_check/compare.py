"""Compare one result on Trino with the same result on DuckDB.

Equal means: the same column names in the same order, the same number of rows, and row by row the same
values, where floating-point numbers may differ by at most 1e-9 relative (never absolute: 0 equals only 0),
integers, strings, booleans, dates and timestamps must be identical, and a zoned timestamp must name the same
instant *and* the same zone offset. An integer on one side and a float on the other is a difference (a
division or an aggregate typed differently by the engines). Rows are compared in the order the engines
return them when the statement orders its result, else after sorting both sides the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def ordered(sql: str) -> bool:
    """Whether the statement's outermost query has an ORDER BY (then row order is part of the answer)."""
    tree = sqlglot.parse_one(sql, read="trino")
    if isinstance(tree, exp.Create):
        tree = tree.expression
    return bool(tree is not None and tree.args.get("order"))


#: Kinds of Python value a DB-API row holds, tried in order (``bool`` is an ``int``; a ``datetime`` a ``date``).
_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    ((float, Decimal), "fractional"),
    (date, "date"),
    (time, "time"),
    (str, "string"),
    ((list, tuple), "array"),
    (dict, "map"),
)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return "timestamp with time zone" if value.tzinfo is not None else "timestamp"
    for types, kind in _KINDS:
        if isinstance(value, types):
            return kind
    return type(value).__name__


def values_equal(trino: Any, duckdb: Any) -> bool:
    kind = _kind(trino)
    if kind != _kind(duckdb):
        return False
    if kind == "fractional":
        a, b = float(trino), float(duckdb)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
    if kind == "timestamp with time zone":
        return trino == duckdb and trino.utcoffset() == duckdb.utcoffset()
    if kind == "array":
        return len(trino) == len(duckdb) and all(values_equal(a, b) for a, b in zip(trino, duckdb, strict=True))
    if kind == "map":
        return trino.keys() == duckdb.keys() and all(values_equal(trino[k], duckdb[k]) for k in trino)
    return bool(trino == duckdb)


def _sort_key(row: Sequence[Any]) -> tuple[Any, ...]:
    """A total order on rows of mixed values; floats rounded to 9 significant digits so that two values
    equal within the tolerance almost always sort to the same place."""

    def key(value: Any) -> tuple[Any, ...]:
        kind = _kind(value)
        if kind == "fractional":
            number = float(value)
            return (kind, 0.0 if number == 0 or not math.isfinite(number) else float(f"{number:.9g}"), "")
        if kind in ("integer", "boolean"):
            return (kind, int(value), "")
        if kind == "array":
            return (kind, 0, tuple(key(v) for v in value))
        return (kind, 0, repr(value) if kind != "string" else value)

    return tuple(key(v) for v in row)


def jsonable(value: Any) -> Any:
    """A JSON-friendly rendering of a value for ``first_difference``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def first_difference(trino: Result, duckdb: Result, *, in_order: bool) -> dict[str, Any] | None:
    """None if the results are equal, else a description of the first difference found."""
    if trino.columns != duckdb.columns:
        return {"columns": {"trino": list(trino.columns), "duckdb": list(duckdb.columns)}}
    left = trino.rows if in_order else sorted(trino.rows, key=_sort_key)
    right = duckdb.rows if in_order else sorted(duckdb.rows, key=_sort_key)
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        for column, x, y in zip(trino.columns, a, b, strict=True):
            if not values_equal(x, y):
                return {
                    "row": index,
                    "column": column,
                    "trino": jsonable(x),
                    "duckdb": jsonable(y),
                    "trino_row": jsonable(a),
                    "duckdb_row": jsonable(b),
                }
    if len(left) != len(right):
        return {"rows": {"trino": len(left), "duckdb": len(right)}}
    return None
