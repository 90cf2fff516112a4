"""Parity of crmlab.clv with the published Fader-Hardie estimates and with lifetimes.

Every published number below names its source. lifetimes (the archived reference
implementation) is fitted inside the tests, never copied.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crmlab.clv as clv
from crmlab.datasets import data_dir

from lifetimes import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)
from lifetimes.datasets import (  # noqa: E402
    load_cdnow_summary,
    load_cdnow_summary_data_with_monetary_value,
    load_donations,
)

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)


def rel(a, b):
    return np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)) / np.abs(np.asarray(b, float)))


@pytest.fixture(scope="module")
def cdnow():
    s = load_cdnow_summary(index_col=[0])
    s.attrs["time_unit"] = "W"  # the CDNOW summary is in weeks (Fader, Hardie & Lee 2005)
    return s


@pytest.fixture(scope="module")
def cdnow_money():
    s = load_cdnow_summary_data_with_monetary_value()
    s.attrs["time_unit"] = "W"
    return s


def _arrays(s):
    return s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()


@pytest.fixture(scope="module")
def fitted(cdnow):
    out = {}
    for key, lf in (("bgnbd", BetaGeoFitter), ("mbgnbd", ModifiedBetaGeoFitter),
                    ("paretonbd", ParetoNBDFitter)):
        out[key] = (clv.fit(key, cdnow), lf().fit(*_arrays(cdnow)))
    return out


def test_bgnbd_cdnow_published_and_lifetimes(fitted):
    m, lf = fitted["bgnbd"]
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
    # 24(2), section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for k, v in published.items():
        assert m.params_[k] == pytest.approx(v, abs=0.0006), k
    assert m.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert rel(m.params_[["r", "alpha", "a", "b"]], lf.params_[["r", "alpha", "a", "b"]]) < 1e-3
    assert m.convergence_.success and m.convergence_.boundary is None


def test_paretonbd_cdnow_published_and_lifetimes(fitted):
    m, lf = fitted["paretonbd"]
    # Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
    # analysis", JMR 42(4), and Fader & Hardie's note "Implementing the Pareto/NBD model given
    # interval-censored data": r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669.
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for k, v in published.items():
        assert m.params_[k] == pytest.approx(v, rel=2e-3), k
    assert rel(m.params_[["r", "alpha", "s", "beta"]], lf.params_[["r", "alpha", "s", "beta"]]) < 1e-3


def test_mbgnbd_cdnow_matches_lifetimes(fitted):
    m, lf = fitted["mbgnbd"]
    assert rel(m.params_[["r", "alpha", "a", "b"]], lf.params_[["r", "alpha", "a", "b"]]) < 1e-3


def test_predictions_match_lifetimes(cdnow, fitted):
    x, tx, T = _arrays(cdnow)
    for key in ("bgnbd", "mbgnbd", "paretonbd"):
        m, lf = fitted[key]
        # compare at identical parameters so only the formulas are tested
        lf.params_ = m.params_.copy()
        assert rel(m.p_alive(), np.asarray(lf.conditional_probability_alive(x, tx, T))) < 1e-8, key
        ours = m.conditional_expected_purchases(10.0)
        theirs = lf.conditional_expected_number_of_purchases_up_to_time(10.0, x, tx, T)
        assert rel(ours, theirs) < 1e-8, key
        ts = np.array([1.0, 10.0, 52.0])
        assert rel(m.expected_purchases(ts), lf.expected_number_of_purchases_up_to_time(ts)) < 1e-8, key
        if key != "paretonbd":  # lifetimes' Pareto/NBD has no unconditional pmf
            for n in (0, 1, 3):
                assert m.pmf(n, 39.0) == pytest.approx(lf.probability_of_n_purchases_up_to_time(39.0, n), rel=1e-8)
        # the index and the name are the summary's
        assert list(ours.index[:3]) == list(cdnow.index[:3])


def test_paretonbd_pmf_sums_to_one_and_matches_mean(fitted):
    m, _ = fitted["paretonbd"]
    n = np.arange(0, 400)
    p = m.pmf(n, 39.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    assert (n * p).sum() == pytest.approx(m.expected_purchases(39.0), rel=1e-5)


def test_gammagamma_published_and_lifetimes(cdnow_money):
    gg = clv.fit("gammagamma", cdnow_money)
    # Fader, Hardie & Berger (2004/2013), "The Gamma-Gamma model of monetary value", on the
    # 946 CDNOW repeat customers: p = 6.25, q = 3.74, v = 15.44. The note prints two decimals
    # (the MLE, like lifetimes, is 6.2488, 3.7446, 15.4477), so they are checked to 0.01.
    for k, v in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert gg.params_[k] == pytest.approx(v, abs=0.01), k
    assert gg.n_customers_ == 946
    rep = cdnow_money[cdnow_money["frequency"] > 0]
    lf = GammaGammaFitter().fit(rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy())
    assert rel(gg.params_[["p", "q", "v"]], lf.params_[["p", "q", "v"]]) < 1e-3
    lf.params_ = gg.params_.copy()
    theirs = lf.conditional_expected_average_profit(cdnow_money["frequency"], cdnow_money["monetary_value"])
    assert rel(gg.conditional_expected_spend(), np.asarray(theirs)) < 1e-10
    assert gg.independence_["verdict"] == "independent"
    assert abs(gg.independence_["pearson"]) < 0.3


def test_bgbb_donations_published_and_lifetimes():
    d = load_donations()  # columns frequency, recency, periods, weights: 'periods' is accepted
    m = clv.fit("bgbb", d)
    # Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
    # setting", Marketing Science 29(6), Table 2: alpha 1.204, beta 0.750, gamma 0.657, delta 2.783.
    for k, v in {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}.items():
        assert m.params_[k] == pytest.approx(v, abs=0.0006), k
    assert m.n_customers_ == 11104
    lf = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    assert rel(m.params_, lf.params_[list(m.param_names)]) < 1e-3
    lf.params_ = m.params_.copy()
    x, tx, n = (d[c].to_numpy() for c in ("frequency", "recency", "periods"))
    assert rel(m.p_alive(), lf.conditional_probability_alive(0, x, tx, n)) < 1e-8
    assert rel(m.conditional_expected_purchases(5), lf.conditional_expected_number_of_purchases_up_to_time(5, x, tx, n)) < 1e-8
    assert m.expected_purchases(6) == pytest.approx(lf.expected_number_of_transactions_in_first_n_periods(6)
                                                    .pipe(lambda f: (f.index * f["model"]).sum() / f["model"].sum()),
                                                    rel=1e-6)


@pytest.mark.parametrize("column, alpha, beta", [
    # Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing
    # 21(1), fitted on years 0-7 of Table 1: "regular" alpha = 0.704, beta = 1.182 and
    # "high end" alpha = 0.668, beta = 3.806. (The brief had the two segments swapped; a careful
    # fit of the data says regular = 0.704/1.182, which is also the paper's Figure 2.)
    ("regular_pct_surviving", 0.704, 1.182),
    ("high_end_pct_surviving", 0.668, 3.806),
])
def test_sbg_retention_published(column, alpha, beta):
    data = pd.read_csv(data_dir() / "retention-cohorts.csv")
    m = clv.fit("sbg", data[column].iloc[:8], n_customers=1000)
    assert m.params_["alpha"] == pytest.approx(alpha, abs=0.0006)
    assert m.params_["beta"] == pytest.approx(beta, abs=0.0006)
    # projected survival for years 8-12 follows the holdout data closely (paper, Figure 2)
    proj = m.survival(np.arange(8, 13)) * 100
    assert np.max(np.abs(proj - data[column].iloc[8:13].to_numpy())) < 2.5
    # retention rates rise with tenure (the heterogeneity effect the paper is about)
    assert np.all(np.diff(m.retention_rate(np.arange(1, 12))) > 0)


def test_sbg_derl_matches_direct_sum():
    data = pd.read_csv(data_dir() / "retention-cohorts.csv")
    m = clv.fit("sbg", data["regular_pct_surviving"].iloc[:8], n_customers=1000)
    d = 0.10
    # DERL of a customer who has made n-1 renewals (Fader & Hardie 2010, Marketing Science
    # 29(1), eq. 6, defined as the series): sum over t >= n of S(t)/S(n-1) / (1+d)^(t-n)
    for renewals in (0, 4):
        n = renewals + 1
        t = np.arange(n, n + 3000)
        direct = np.sum(m.survival(t) / m.survival(n - 1) / (1 + d) ** (t - n))
        assert m.derl(d, renewals=renewals) == pytest.approx(direct, rel=1e-8)


def test_clv_units_explicit_and_lifetimes_month_bug(cdnow, cdnow_money, fitted):
    bg, lf = fitted["bgnbd"]
    gg = clv.fit("gammagamma", cdnow_money)
    data = cdnow_money
    ours = bg.clv(gg, 52, 0.01, data, rate_unit="W")
    # lifetimes hard-codes month steps (4.345 weeks with freq="W") and a monthly rate, so it
    # cannot express weekly periods; the formulas are compared on lifetimes' own step grid.
    lf_ggf = GammaGammaFitter()
    lf_ggf.params_ = gg.params_.copy()
    lf.params_ = bg.params_.copy()
    theirs = lf_ggf.customer_lifetime_value(lf, data["frequency"], data["recency"], data["T"],
                                            data["monetary_value"], time=12, discount_rate=0.01, freq="W")
    # lifetimes' 12 "months" of 4.345 weeks are 52.14 weeks with monthly discounting; recompute
    # that exact schedule with crmlab's kernels to show the formulas agree
    x, tx, T = _arrays(data)
    spend = gg.conditional_expected_spend(data).to_numpy()
    steps = np.arange(1, 13) * 4.345
    prev, total = 0.0, 0.0
    for i, t in enumerate(steps):
        cur = bg._k_cond(bg._theta, t, x, tx, T)
        total = total + (cur - prev) / 1.01 ** (i + 1)
        prev = cur
    assert rel(total * spend, np.asarray(theirs)) < 1e-8
    # crmlab's own CLV: 52 weekly periods at 1% per week is much less than 1% per "month"
    assert np.all(ours.to_numpy() < np.asarray(theirs) + 1e-9)
    # the unit must be explicit: no rate_unit, no CLV
    from crmlab.errors import ParameterError

    with pytest.raises(ParameterError, match="rate_unit"):
        bg.clv(gg, 52, 0.01, data, rate_unit=None)
    # an annual rate converted exactly equals the weekly one
    annual = (1.01) ** (365.25 / 7) - 1
    assert rel(bg.clv(gg, 52, annual, data, rate_unit="Y"), ours) < 1e-10


@pytest.mark.parametrize("key, lf_cls", [("bgnbd", BetaGeoFitter), ("mbgnbd", ModifiedBetaGeoFitter)])
def test_l2_penalty_as_in_lifetimes(cdnow, key, lf_cls):
    """penalizer adds penalizer * sum(params**2) to the mean negative log-likelihood, exactly
    lifetimes' penalizer_coef. lifetimes silently rescales time so that max(T) = 1 before fitting
    (so its penalty acts on a rescaled alpha); crmlab fitted on the same rescaled summary gives
    the same estimates."""
    from lifetimes.utils import _scale_time

    scale = _scale_time(cdnow["T"].to_numpy())
    scaled = cdnow.assign(recency=cdnow["recency"] * scale, T=cdnow["T"] * scale)
    scaled.attrs = dict(cdnow.attrs)
    m = clv.fit(key, scaled, penalizer=0.1)
    lf = lf_cls(penalizer_coef=0.1).fit(*_arrays(cdnow))
    ours = m.params_.copy()
    ours["alpha"] /= scale
    assert rel(ours[list(m.param_names)], lf.params_[list(m.param_names)]) < 1e-3
    plain = clv.fit(key, scaled)
    assert m.params_["b"] < plain.params_["b"]  # shrunk towards 0


def test_bgbb_dert_against_lifetimes_conditional_expectations():
    """BG/BB DERT (Fader, Hardie & Shang 2010, eq. 14) against an independent brute force:
    the discounted per-opportunity increments of lifetimes' conditional expected purchases.
    lifetimes has no BG/BB CLV, so this checks crmlab's discounting on lifetimes' expectations.
    No published DERT value is reproduced here: the paper's DERT figures could not be checked
    against its text on this machine, so none is quoted."""
    d = load_donations()
    m = clv.fit("bgbb", d)
    lf = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["periods"], weights=d["weights"])
    lf.params_ = m.params_.copy()
    x, tx, n = (d[c].to_numpy() for c in ("frequency", "recency", "periods"))
    rate, H = 0.1, 30
    cum = [np.zeros(len(d))] + [np.asarray(lf.conditional_expected_number_of_purchases_up_to_time(t, x, tx, n))
                                for t in range(1, H + 1)]
    brute = sum((cum[s] - cum[s - 1]) / (1 + rate) ** s for s in range(1, H + 1))
    assert rel(m.dert(rate, horizon=H, rate_unit="opportunity"), brute) < 1e-8
    # lifetimes' frame has no attrs: the rate is per opportunity, and a calendar unit is refused
    from crmlab.errors import ParameterError

    with pytest.raises(ParameterError, match="opportunity"):
        m.clv(1.0, H, rate, rate_unit="Y")
    # 30 opportunities at 10% leave a tail below 1.1^-30 ≈ 6% of the closed form, never above it
    closed = m.dert(rate, rate_unit="opportunity").to_numpy()
    assert np.all(brute < closed) and np.all(closed - brute < 1.1**-30 * closed)
