"""The same summary expression on a real local PySpark session equals the DuckDB result."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import crmlab

from _logs import CAL_DAY, OBS_DAY, assert_matches, random_log, reference, timestamped_log

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (
            SparkSession.builder.master("local[1]")
            .appName("crmlab-summary-test")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def spark_con(spark):
    import ibis

    return ibis.pyspark.connect(spark)


@pytest.fixture(scope="module")
def log():
    df = random_log(11, n_customers=200)
    df.loc[[5, 6], "customer_id"] = None  # counted and dropped on both engines
    return df


@pytest.fixture(scope="module")
def spark_table(spark, spark_con, log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # as a user would: a Spark DataFrame registered as a view, opened as an Ibis table
        spark.createDataFrame(log).createOrReplaceTempView("crmlab_tx")
        return spark_con.table("crmlab_tx")


def run(tx, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas-3 notices from PySpark, exclusion notes
        return crmlab.summarise(tx, **kw)


@pytest.mark.parametrize("kw", [
    dict(observation_end="2020-03-31", calibration_end="2019-12-31", aggregate="D", time_unit="W"),
    dict(observation_end="2020-01-15 12:00", aggregate="W", time_unit="W"),
    dict(observation_end="2020-06-30", calibration_end="2019-10-15", aggregate="M", time_unit="M"),
])
def test_spark_equals_duckdb(spark_table, log, kw):
    spark = run(spark_table, **kw)
    duck = run(log, **kw)
    assert spark.attrs["dropped_null_customer"] == duck.attrs["dropped_null_customer"] == 2
    assert spark.attrs["excluded_after_end"] == duck.attrs["excluded_after_end"] > 0
    assert spark.attrs["source"].startswith("Ibis table (pyspark)")
    pd.testing.assert_frame_equal(spark, duck, check_exact=False, rtol=1e-12)


def test_pandas_frame_on_a_spark_engine_and_rfm(spark_con, spark_table, log):
    kw = dict(observation_end="2020-03-31", time_unit="W")
    pd.testing.assert_frame_equal(run(log, engine=spark_con, **kw), run(log, **kw),
                                  check_exact=False, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spark_rfm = crmlab.rfm_table(spark_table, analysis_date="2020-01-15", monetary="mean")
        duck_rfm = crmlab.rfm_table(log, analysis_date="2020-01-15", monetary="mean")
    pd.testing.assert_frame_equal(spark_rfm, duck_rfm, check_exact=False, rtol=1e-12)


def test_spark_sums_do_not_depend_on_partitioning(spark, spark_con, log):
    """Float sums would follow the partition order; exact decimal sums do not."""
    kw = dict(observation_end="2020-03-31", calibration_end="2019-12-31", time_unit="W")
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for parts, seed in [(1, 0), (4, 1), (3, 2)]:
            shuffled = log.sample(frac=1.0, random_state=seed).reset_index(drop=True)
            name = f"crmlab_tx_{parts}"
            spark.createDataFrame(shuffled).repartition(parts).createOrReplaceTempView(name)
            table = spark_con.table(name)
            results.append((crmlab.summarise(table, **kw),
                            crmlab.rfm_table(table, analysis_date="2020-01-15", monetary="mean")))
    for summary, rfm in results[1:]:
        pd.testing.assert_frame_equal(summary, results[0][0], check_exact=True)
        pd.testing.assert_frame_equal(rfm, results[0][1], check_exact=True)


def test_spark_equals_duckdb_with_non_currency_amounts(spark, spark_con, log):
    """Amounts with many decimals are rounded to 9 on both engines before the exact sums."""
    odd = log.assign(amount=log["amount"] * 3.141592653589793 / 7.0)
    kw = dict(observation_end="2020-03-31", calibration_end="2019-12-31", time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spark.createDataFrame(odd).createOrReplaceTempView("crmlab_tx_odd")
        got = crmlab.summarise(spark_con.table("crmlab_tx_odd"), **kw)
        duck = crmlab.summarise(odd, **kw)
    pd.testing.assert_frame_equal(got, duck, check_exact=False, rtol=1e-12, atol=0)


# ------------------------------------------------------------------ whole-day bounds and litt

@pytest.fixture(scope="module")
def stamped(spark, spark_con):
    """The timestamped boundary log of test_summary_timestamps (fewer customers), on Spark."""
    df = timestamped_log(5, n_customers=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spark.createDataFrame(df).createOrReplaceTempView("crmlab_stamped")
    return df, spark_con.table("crmlab_stamped")


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_spark_whole_day_bounds_and_litt_equal_the_reference(stamped, unit):
    df, table = stamped
    got = run(table, observation_end="2024-06-30", calibration_end="2023-12-31",
              time_unit=unit, regularity=True)
    assert_matches(got, reference(df, CAL_DAY, OBS_DAY, unit))
    assert "b0first_last_second" in got.index
    duck = run(df, observation_end="2024-06-30", calibration_end="2023-12-31", time_unit=unit,
               regularity=True)
    pd.testing.assert_frame_equal(got, duck, check_exact=False, rtol=1e-12)


def test_spark_litt_does_not_depend_on_partitioning(spark, spark_con, stamped):
    df, _ = stamped
    kw = dict(observation_end="2024-06-30", time_unit="W", regularity=True)
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for parts, seed in [(1, 0), (3, 1)]:
            name = f"crmlab_stamped_{parts}"
            spark.createDataFrame(df.sample(frac=1.0, random_state=seed)).repartition(
                parts).createOrReplaceTempView(name)
            results.append(crmlab.summarise(spark_con.table(name), **kw))
    pd.testing.assert_frame_equal(results[1], results[0], check_exact=True)
