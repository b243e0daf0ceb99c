"""A run's session settings follow its new raw input: shuffle partitions by size, and interpreted expressions
for a small input (compiling them costs a small run more than it saves)."""

from __future__ import annotations

import pytest

from curation.session import EXPRESSION_CONF, SHUFFLE_CONF, input_settings, sized_for_input

MIB = 1024 * 1024


def test_a_small_input_is_interpreted_and_a_large_one_compiled():
    assert input_settings(16 * MIB, 2) == {SHUFFLE_CONF: "2", EXPRESSION_CONF: "NO_CODEGEN"}
    assert input_settings(64 * MIB - 1, 2) == {SHUFFLE_CONF: "2", EXPRESSION_CONF: "NO_CODEGEN"}
    assert input_settings(64 * MIB, 2) == {SHUFFLE_CONF: "2", EXPRESSION_CONF: "FALLBACK"}
    assert input_settings(1224 * MIB, 2) == {SHUFFLE_CONF: "10", EXPRESSION_CONF: "FALLBACK"}


@pytest.mark.spark
def test_the_settings_hold_for_the_run_only_and_leave_explicit_ones_alone(spark):
    # The test session was given spark.sql.shuffle.partitions=2 explicitly, and no expression mode.
    before = spark.conf.get(EXPRESSION_CONF)
    with sized_for_input(spark, 1224 * MIB):
        assert (spark.conf.get(SHUFFLE_CONF), spark.conf.get(EXPRESSION_CONF)) == ("2", "FALLBACK")
    with sized_for_input(spark, 1 * MIB):
        assert (spark.conf.get(SHUFFLE_CONF), spark.conf.get(EXPRESSION_CONF)) == ("2", "NO_CODEGEN")
        assert spark.range(5).selectExpr("sum(id * 2) AS s").collect()[0].s == 20
    assert (spark.conf.get(SHUFFLE_CONF), spark.conf.get(EXPRESSION_CONF)) == ("2", before)
