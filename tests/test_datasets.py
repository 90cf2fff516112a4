"""Shipped data sets and simulators."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

import crmlab
from crmlab import datasets
from crmlab.errors import ParameterError


def test_cdnow_full_and_sample_counts():
    # Fader & Hardie's CDNOW cohort: 23,570 customers and 69,659 transactions; 1/10 sample 2,357
    full = datasets.load_cdnow()
    assert full.n_customers == 23_570
    assert len(full.frame) == 69_659
    # the published analyses keep CDNOW's 255 exact duplicates and 80 zero-amount rows
    assert full.ledger.warnings == {"zero_amount": 80, "exact_duplicates_kept": 255}
    assert full.ledger.dropped == {}
    assert full.frame["date"].min() == pd.Timestamp("1997-01-01")
    assert full.frame["date"].max() == pd.Timestamp("1998-06-30")
    sample = datasets.load_cdnow(sample=True)
    assert sample.n_customers == 2_357
    assert len(sample.frame) == 6_919
    assert sample.meta["calibration_end"] == pd.Timestamp("1997-09-30")
    # the file behind the data, so a report can print its hash
    assert sample.meta["path"].endswith("CDNOW_sample.txt")
    assert datasets.load_benchmark("m18").meta["path"].endswith("m18-elog.csv")


def test_donations_summary_is_the_bgbb_cohort():
    # Fader, Hardie & Shang (2010): 11,104 first-time donors, 6 annual opportunities
    d = datasets.load_donations()
    assert int(d["weights"].sum()) == 11_104
    assert set(d["n_periods"]) == {6}
    assert {"frequency", "recency", "n_periods", "weights"} <= set(d.columns)


@pytest.mark.parametrize("name,customers,has_amount", [
    ("cdnow", 2357, True), ("grocery", 1525, False), ("m18", 831, True),
    ("donations", 21166, False), ("office", 1000, False), ("dietary", 1000, False)])
def test_benchmark_logs_load_with_their_split(name, customers, has_amount):
    tx = datasets.load_benchmark(name)
    assert tx.n_customers == customers == tx.meta["n_customers"]
    assert tx.has_amount == has_amount
    assert tx.meta["calibration_end"] < tx.meta["observation_end"]
    assert tx.ledger.dropped == {}
    # the study observes every customer from a first purchase inside the calibration period
    assert tx.frame.groupby("customer_id")["date"].min().max() <= tx.meta["calibration_end"]
    assert "Reutterer" in tx.meta["source"]


def test_benchmark_provenance_is_shipped():
    readme = (datasets.data_dir() / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert "Reutterer" in readme and "1997-09-30" in readme


def test_unknown_benchmark_names_the_choices():
    with pytest.raises(ParameterError, match="cdnow, grocery, m18"):
        datasets.load_benchmark("amazon")


def test_retention_cohorts_table_1():
    # Fader & Hardie (2007), Table 1: year 1 regular 63.1%, high end 86.9%; year 12 17.3 / 39.4
    r = datasets.load_retention_cohorts()
    assert r.loc[1, "regular"] == 63.1 and r.loc[1, "high_end"] == 86.9
    assert r.loc[12, "regular"] == 17.3 and r.loc[12, "high_end"] == 39.4
    assert (r.diff().dropna() <= 0).all().all()


def continuous_summary(tx):
    """Exact-time BTYD statistics in weeks (no same-day merging), for the recovery check."""
    f = tx.frame.sort_values("date")
    g = f.groupby("customer_id")
    first, last, n = g["date"].min(), g["date"].max(), g.size()
    week = pd.Timedelta(weeks=1)
    s = pd.DataFrame({"frequency": n - 1, "recency": (last - first) / week,
                      "T": (tx.meta["observation_end"] - first) / week})
    s["monetary_value"] = np.where(s["frequency"] > 0,
                                   (g["amount"].sum() - g["amount"].first()) / s["frequency"].clip(lower=1),
                                   0.0)
    return s


def test_simulated_retail_parameters_are_recovered_within_3_percent():
    # The generator is exactly BG/NBD + Gamma-Gamma; a maximum-likelihood fit on 100,000
    # customers (here lifetimes' fitters, the reference implementation) must land within 3%.
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    tx = datasets.simulate_retail(100_000, seed=1)
    s = continuous_summary(tx)
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[s["frequency"] > 0]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    est = {**bg.params_.to_dict(), **gg.params_.to_dict()}
    truth = tx.meta["truth"]
    errors = {k: est[k] / truth[k] - 1 for k in truth}
    assert all(abs(e) < 0.03 for e in errors.values()), errors


def test_simulated_retail_is_seeded_and_valid():
    a = datasets.simulate_retail(500, seed=3)
    b = datasets.simulate_retail(500, seed=3)
    c = datasets.simulate_retail(500, seed=4)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not a.frame.equals(c.frame)
    assert a.n_customers == 500
    assert a.frame["date"].max() < a.meta["observation_end"]
    assert (a.frame["amount"] > 0).all()
    with pytest.raises(ParameterError, match="alpha"):
        datasets.simulate_retail(10, alpha=0)


def test_simulated_cohorts_follow_the_sbg_survival_curve():
    alpha, beta = 0.7, 1.2
    sim = datasets.simulate_cohorts(200_000, alpha=alpha, beta=beta, periods=8, seed=0)
    t = np.arange(9)
    expected = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))  # Fader & Hardie (2007) eq. 3
    assert np.allclose(sim["alive"] / 200_000, expected, atol=0.005)
    assert sim["alive"].iloc[0] == 200_000


def test_load_resolves_the_notebook_dataset_parameter(tmp_path):
    tx = datasets.load("cdnow-sample")
    assert tx.meta["observation_end"] == pd.Timestamp("1998-06-30")
    assert tx.meta["calibration_end"] == pd.Timestamp("1997-09-30")
    assert tx.meta["currency"] == "USD" and tx.meta["name"] == "cdnow-sample"
    sim = datasets.load("simulated-retail", n_simulated=300, seed=5, observation_end="2025-09-30")
    assert sim.n_customers == 300 and sim.meta["observation_end"] == pd.Timestamp("2025-09-30")
    bench = datasets.load("benchmark-grocery")
    assert bench.meta["calibration_end"] == pd.Timestamp("2006-12-31")
    # a user's file without dates of its own: last day, and two thirds of the span
    path = tmp_path / "订单.csv"
    path.write_text("会员号,下单时间\nA,2023-01-01\nA,2023-03-01\nB,2023-04-01\n", encoding="gb18030")
    own = datasets.load(str(path))
    assert own.meta["observation_end"] == pd.Timestamp("2023-04-01")
    assert own.meta["calibration_end"] == pd.Timestamp("2023-03-02")  # 60 of 90 days
    assert own.meta["path"].endswith("订单.csv")


def test_load_errors_name_the_parameter(tmp_path):
    with pytest.raises(ParameterError, match="neither a built-in data set"):
        datasets.load("cdnoww")
    with pytest.raises(ParameterError, match="calibration_end .1998-07-01. must be before"):
        datasets.load("cdnow-sample", calibration_end="1998-07-01")
    with pytest.raises(ParameterError, match="not a date"):
        datasets.load("cdnow-sample", observation_end="June 31st")
    path = tmp_path / "events.csv"
    path.write_text("cust,date\n1,2020-01-01\n1,2020-02-01\n")
    with pytest.raises(crmlab.DataError, match="needs purchase amounts.*amount_col="):
        datasets.load(str(path), require_amount=True)
