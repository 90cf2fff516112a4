"""crmlab.datasets.cases: the seeded course-case simulators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.datasets.cases import (
    SURVEY_CONSTRUCTS,
    simulate_bank,
    simulate_distributor,
    simulate_survey,
)
from crmlab.errors import ParameterError


@pytest.mark.parametrize("fn", [simulate_bank, simulate_distributor, simulate_survey])
def test_deterministic_for_a_seed(fn):
    a, b, c = fn(200, seed=1), fn(200, seed=1), fn(200, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert len(a) == 200 and a.index.is_unique


@pytest.mark.parametrize("fn", [simulate_bank, simulate_distributor, simulate_survey])
def test_bad_size_is_a_parameter_error(fn):
    with pytest.raises(ParameterError, match=">= 10"):
        fn(3)


def test_bank_indicators():
    b = simulate_bank()
    assert len(b) == 2000 and b.index.name == "customer_id"
    assert list(b.columns[:8]) == ["consumption_value", "revenue_contribution", "cost", "credit",
                                   "switching_cost", "continuity", "tenure", "future_profit"]
    assert b["credit"].between(300, 850).all()
    assert set(b["switching_cost"].unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert b["continuity"].between(0, 1).all() and (b["tenure"] > 0).all()
    assert (b[["consumption_value", "revenue_contribution", "cost", "future_profit"]] > 0).all().all()
    # the documented design: current indicators follow latent_current, potential ones latent_potential
    sp = b.corr(method="spearman")
    assert sp.loc["consumption_value", "latent_current"] > 0.8
    assert sp.loc["cost", "latent_current"] < 0
    assert sp.loc["credit", "latent_potential"] > 0.7
    assert abs(sp.loc["credit", "latent_current"]) < 0.4
    assert sp.loc["latent_current", "latent_potential"] == pytest.approx(0.3, abs=0.06)


def test_distributor_case():
    d = simulate_distributor()
    assert len(d) == 300
    assert set(d["customer_type"].cat.categories) == {"industry_user", "enterprise",
                                                      "distributor", "retail"}
    assert set(d["region"].unique()) <= {"east", "south", "north", "central", "west"}
    assert (d["receivables"] >= 0).all() and (d["receivables"] <= d["sales_value"]).all()
    assert (d["receivables"] == 0).mean() == pytest.approx(0.3, abs=0.08)
    assert (d["sales_volume"] >= 1).all() and (d["purchase_cycle"] > 0).all()
    means = d.groupby("customer_type", observed=True)["sales_value"].median()
    assert means["industry_user"] > means["retail"]
    # concentrated: the top 20% of customers hold well over half the sales
    s = np.sort(d["sales_value"].to_numpy())[::-1]
    assert s[:60].sum() / s.sum() > 0.5


def test_survey_items_and_structure():
    s = simulate_survey()
    assert len(s) == 400 and s.index.name == "respondent_id"
    assert s.shape[1] == sum(SURVEY_CONSTRUCTS.values())
    assert s.isin([1, 2, 3, 4, 5]).all().all()
    assert set(s.attrs["constructs"]) == set(SURVEY_CONSTRUCTS)
    means = pd.DataFrame({k: s[v].mean(axis=1) for k, v in s.attrs["constructs"].items()})
    c = means.corr()
    # loyalty depends on satisfaction; costs lower satisfaction through perceived value
    assert c.loc["loyalty", "satisfaction"] > 0.4
    assert c.loc["satisfaction", "product_value"] > 0.1
    assert c.loc["satisfaction", "monetary_cost"] < -0.1
