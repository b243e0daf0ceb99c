"""Spark ``StructType``s derived from ``curation.schema`` (the single source of truth)."""

from __future__ import annotations

from pyspark.sql import types as T

from curation.schema import Column, Table

_SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "bigint": T.LongType(),
    "int": T.IntegerType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
    "date": T.DateType(),
    "array<string>": T.ArrayType(T.StringType(), containsNull=True),
}


def spark_type(column: Column) -> T.DataType:
    return _SPARK_TYPES[column.type]


def struct_type(table: Table, *, include_partitions: bool = True) -> T.StructType:
    """The table's rows as Spark sees them: data columns, then partition keys (as Spark writes them)."""
    columns = table.all_columns if include_partitions else table.columns
    return T.StructType([T.StructField(c.name, spark_type(c), c.nullable) for c in columns])
