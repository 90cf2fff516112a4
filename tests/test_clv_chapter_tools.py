"""The calls chapter 03 makes for its regularity and covariate sections."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmlab
import crmlab.clv as clv
from crmlab.errors import DataError


@pytest.fixture(scope="module")
def table():
    logs = {name: crmlab.datasets.benchmark_summary(name, regularity=True) for name in ("m18", "grocery")}
    return clv.regularity_table(logs, lang="en")


def test_regularity_table_finds_the_published_k(table):
    # Reutterer, Platzer & Schröder (2021), results/emp-param-stats.csv (mplatzer/paper-bgcnbdk):
    # k = 1 for both CNBD-k models on m18, k = 2 on grocery
    assert table.loc["m18", "k of BG/CNBD-k"] == 1 and table.loc["m18", "k of MBG/CNBD-k"] == 1
    assert table.loc["grocery", "k of BG/CNBD-k"] == 2 and table.loc["grocery", "k of MBG/CNBD-k"] == 2
    assert table.attrs["pays"] == {"m18": False, "grocery": True}
    # with k = 1 the CNBD-k models are the classic ones
    assert table.loc["m18", "BG/CNBD-k log-likelihood"] == pytest.approx(table.loc["m18", "BG/NBD log-likelihood"], abs=1e-6)
    assert table.loc["m18", "MBG/CNBD-k MAE"] == pytest.approx(table.loc["m18", "MBG/NBD MAE"], abs=1e-9)
    # on grocery regularity buys likelihood and holdout accuracy
    assert table.loc["grocery", "MBG/CNBD-k log-likelihood"] > table.loc["grocery", "MBG/NBD log-likelihood"] + 100
    assert table.loc["grocery", "MBG/CNBD-k MAE"] < table.loc["grocery", "MBG/NBD MAE"]
    assert table.loc["grocery", "regularity pays"] == "yes"


def test_regularity_table_needs_litt():
    with pytest.raises(DataError, match="regularity=True"):
        clv.regularity_table({"m18": crmlab.datasets.benchmark_summary("m18")})


def test_first_purchase_amount_sums_the_first_day():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c"],
        "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 23:59:59", "2024-01-02 00:00",
                                "2024-02-01 12:00", "2024-03-01", "2024-01-05"], format="ISO8601"),
        "amount": [10.0, 5.0, 100.0, 0.0, 7.0, 2.5]})
    raw = clv.first_purchase_amount(tx, log=False)
    assert raw.to_dict() == {"a": 15.0, "b": 0.0, "c": 2.5}
    logged = clv.first_purchase_amount(tx, pd.Index(["c", "a", "b"]))
    assert np.allclose(logged.to_numpy(), np.log([2.5, 15.0, 1.0]))  # a zero basket is floored at 1


def test_add_covariates_keeps_the_unit_and_wants_every_customer():
    tx = crmlab.datasets.simulate_retail(300, seed=4)
    s = crmlab.summarise(tx.frame, observation_end=tx.meta["observation_end"],
                         calibration_end=tx.meta["calibration_end"], time_unit="W")
    channel = clv.placebo_channel(s.index, seed=1)
    assert channel.equals(clv.placebo_channel(s.index, seed=1)) and 0.35 < channel.mean() < 0.65
    joined = clv.add_covariates(s, {"channel_online": channel})
    assert joined.attrs["time_unit"] == "W" and joined["channel_online"].equals(channel)
    with pytest.raises(DataError, match="no covariate value"):
        clv.add_covariates(s, {"channel_online": channel.iloc[:-3]})
    with pytest.raises(DataError, match="already has"):
        clv.add_covariates(s, {"frequency": channel})


def test_the_reading_follows_the_intervals():
    tx = crmlab.datasets.load_cdnow(sample=True)
    s = crmlab.summarise(tx, observation_end="1998-06-30", calibration_end="1997-09-30", time_unit="W")
    cov = {"log_first_amount": clv.first_purchase_amount(tx.frame, s.index),
           "channel_online": clv.placebo_channel(s.index, seed=42)}
    m = clv.fit("paretonbd", clv.add_covariates(s, cov), covariates=list(cov))
    lines = clv.describe_covariates(m, "en")
    assert len(lines) == 4
    for name, line in zip([n for n in m.params_.index if ":" in n], lines):
        lo, hi = m.confidence_intervals_.loc[name]
        if lo > 0 or hi < 0:
            assert f"{np.exp(m.params_[name]):.2f}" in line
        else:
            assert "covers 0" in line
    # the placebo channel is random: its purchase effect cannot be told from none
    assert "covers 0" in lines[1]
    text = clv.covariate_reading(m)
    assert text["en"].count(". ") == 3 and text["zh"].count("。") == 4 and "。 " not in text["zh"]
