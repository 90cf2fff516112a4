"""Published values from the literature, ported from lifetimes' ``tests/test_estimation.py`` to
crmlab's API (``clv.from_params`` for published parameters, ``clv.fit(..., time_unit=)`` for the
plain lifetimes summaries), and the interfaces for lifetimes users (issue #17, part 4).

Sources, as lifetimes cites them:
- Hardie's spreadsheets for BG/NBD (http://brucehardie.com/notes/004/, "bgnbd_cdnow.xls"),
  BG/BB (http://brucehardie.com/notes/010/, "BGBB_2011-01-20.xlsx") and Gamma-Gamma
  (http://brucehardie.com/notes/025/).
- The R BTYD package: ``bgnbd.pmf`` (BTYD reference manual) and the BTYD walkthrough vignette
  (Pareto/NBD P(alive) and conditional expectation, page 8).
- Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
  setting", Marketing Science 29(6), Table 6.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import crmlab.clv as clv
from crmlab.errors import DataError, ModelError, ParameterError

from lifetimes.datasets import (
    load_cdnow_summary,
    load_cdnow_summary_data_with_monetary_value,
    load_donations,
)

warnings.filterwarnings("ignore", category=FutureWarning)

#: Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2),
#: p. 280: the BG/NBD on the CDNOW sample of 2,357 customers (weeks).
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: The BTYD walkthrough vignette, page 8: the Pareto/NBD on the same CDNOW sample.
PNBD_CDNOW = {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}


def plain(**cols):
    """A plain frame without attrs, as lifetimes users have."""
    return pd.DataFrame(cols)


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary(index_col=[0])  # lifetimes' CDNOW summary: no attrs


@pytest.fixture(scope="module")
def bg(cdnow):
    return clv.fit("bgnbd", cdnow, time_unit="W")


@pytest.fixture(scope="module")
def donations():
    return load_donations()


@pytest.fixture(scope="module")
def bgbb(donations):
    return clv.fit("bgbb", donations)


# -- BG/NBD ------------------------------------------------------------------------------------
def test_bgnbd_expectation_as_hardie_spreadsheet(bg):
    # Hardie's BG/NBD spreadsheet, E[X(t)] at these t (weeks), printed to 4 decimals
    t = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
    expected = np.array([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576])
    np.testing.assert_allclose(bg.expected_purchases(t), expected, atol=5e-4)


def test_bgnbd_conditional_expectation_as_hardie_spreadsheet(bg):
    # Hardie's BG/NBD spreadsheet: customer with x = 2, t_x = 30.43, T = 38.86, next 39 weeks: 1.226
    got = bg.conditional_expected_purchases(39, plain(frequency=[2], recency=[30.43], T=[38.86]))
    assert got.iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_bgnbd_pmf_as_r_btyd():
    # R BTYD reference manual, bgnbd.pmf with the FHL (2005) parameters
    m = clv.from_params("bgnbd", BGNBD_CDNOW, time_unit="W")
    assert m.pmf(10, 2) == pytest.approx(1.07869e-07, rel=1e-4)
    assert m.pmf(0, 39) == pytest.approx(0.5737864, abs=1e-7)
    expected = [0.0019995214, 0.0015170236, 0.0011633150, 0.0009003148, 0.0007023638,
                0.0005517902, 0.0004361913, 0.0003467171, 0.0002769613, 0.0002222260]
    np.testing.assert_allclose(m.pmf(np.arange(11, 21), 30), expected, rtol=1e-6)


def test_bgnbd_p_alive_one_without_repeat_and_stable_at_extremes():
    m = clv.from_params("bgnbd", BGNBD_CDNOW, time_unit="W")
    pa = m.p_alive(plain(frequency=[0, 0], recency=[0.0, 0.0], T=[5.0, 500.0]))
    np.testing.assert_array_equal(pa, 1.0)  # BG/NBD: no repeat purchase, no chance to drop out


@pytest.mark.parametrize("key, params", [
    ("bgnbd", {"r": 10, "alpha": 10, "a": 10, "b": 10}),
    ("mbgnbd", {"r": 10, "alpha": 10, "a": 10, "b": 10}),
    ("paretonbd", {"r": 10, "alpha": 10, "s": 10, "beta": 10}),
])
def test_p_alive_overflow_cases_of_lifetimes(key, params):
    # lifetimes' overflow cases: many purchases long ago; P(alive) must stay a probability,
    # and fall with the time since the last purchase
    m = clv.from_params(key, params, time_unit="W")
    pa = m.p_alive(plain(frequency=[40.0, 50.0, 60.0], recency=[5.4, 6.4, 7.4], T=[6.0, 37.0, 37.0]))
    assert np.all(np.isfinite(pa)) and np.all((pa >= 0) & (pa <= 1))
    assert pa.iloc[0] > 0.3 and pa.iloc[1] < 1e-20


# -- Pareto/NBD --------------------------------------------------------------------------------
def test_paretonbd_walkthrough_p_alive_and_conditional_expectation():
    # BTYD walkthrough vignette, page 8: x = 26, t_x = 30.86, T = 31: P(alive) 0.9979 and
    # 25.46 expected transactions in the next 52 weeks
    m = clv.from_params("paretonbd", PNBD_CDNOW, time_unit="W")
    d = plain(frequency=[26.0], recency=[30.86], T=[31.0])
    assert m.p_alive(d).iloc[0] == pytest.approx(0.9979, abs=5e-5)
    # (25.455 from the four-digit parameters printed there, 25.457 from the MLE)
    assert m.conditional_expected_purchases(52, d).iloc[0] == pytest.approx(25.46, abs=0.01)


def test_paretonbd_expectation_as_r_btyd(cdnow):
    # R BTYD reference manual, pnbd.Expectation for t = 0..9 weeks. R's parameters there are its
    # own fit, 0.6% away in E[X(t)] from the MLE (lifetimes allowed 0.01 absolute)
    m = clv.fit("paretonbd", cdnow, time_unit="W")
    expected = [0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274,
                0.31335159, 0.35181024, 0.38909211]
    np.testing.assert_allclose(m.expected_purchases(np.arange(10)), expected, rtol=1e-2)


def test_paretonbd_conditional_expectation_underflow_case():
    # lifetimes' underflow case: x = 132 vs 133 purchases by t_x = T = 200 weeks; the forecast
    # for 10 weeks must move smoothly (a naive 2F1 difference underflows here)
    m = clv.from_params("paretonbd", {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
                        time_unit="W")
    got = m.conditional_expected_purchases(10, plain(frequency=[132, 133], recency=[200.0, 200.0],
                                                     T=[200.0, 200.0]))
    # one more purchase at the same rate adds (r + x)/(alpha + T) · 10 / (r + x) ≈ 10/210.58
    assert got.iloc[1] - got.iloc[0] == pytest.approx(10 / 210.58, rel=0.02)
    # the values lifetimes' test records next to the case: 6.2060517889632418, 6.2528722475748113
    np.testing.assert_allclose(got, [6.2060517889632418, 6.2528722475748113], rtol=1e-6)


# -- Gamma-Gamma -------------------------------------------------------------------------------
def test_gammagamma_conditional_spend_as_hardie_note():
    # Hardie's Gamma-Gamma spreadsheet (note 025), E[M | x, m] of the first ten CDNOW customers
    s = load_cdnow_summary_data_with_monetary_value()
    gg = clv.fit("gammagamma", s)
    expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_allclose(gg.conditional_expected_spend(s.head(10)), expected, atol=0.01)  # printed to 2 decimals (truncated)
    given = clv.from_params("gammagamma", {"p": 6.25, "q": 3.74, "v": 15.44})
    np.testing.assert_allclose(given.conditional_expected_spend(s.head(10)), expected, atol=0.1)


# -- BG/BB -------------------------------------------------------------------------------------
def test_bgbb_p_alive_ahead_is_fhs_table_6(bgbb, donations):
    # Fader, Hardie & Shang (2010) Table 6, "P(alive in 2002)" with data through 2001 (n = 6):
    # 0.11, 0.59 and 0.93 for (x, t_x) = (0, 0), (2, 4) and (6, 6)
    d = donations
    cells = [((d["frequency"] == x) & (d["recency"] == t)).to_numpy() for x, t in ((0, 0), (2, 4), (6, 6))]
    ahead = bgbb.p_alive(ahead=1)
    np.testing.assert_allclose([ahead[c].iloc[0] for c in cells], [0.11, 0.59, 0.93], atol=0.005)
    now = bgbb.p_alive()  # alive at the end of the data: 0.116, 0.634, 1.0
    np.testing.assert_allclose([now[c].iloc[0] for c in cells], [0.116, 0.634, 1.0], atol=0.0005)
    # each further opportunity is one more dropout draw: P(alive) keeps falling
    assert (bgbb.p_alive(ahead=3) < ahead).all()
    with pytest.raises(ParameterError, match="ahead"):
        bgbb.p_alive(ahead=-1)
    with pytest.raises(ParameterError, match="ahead"):
        bgbb.p_alive(ahead=1.5)


def test_bgbb_totals_as_hardie_spreadsheet(bgbb, donations):
    w = donations["weights"].to_numpy()
    # "Conditional Expectations (II)" sheet: expected repeat transactions 2002-2006, total 12884.2
    assert (bgbb.conditional_expected_purchases(5) * w).sum() == pytest.approx(12884.2, abs=0.5)
    # "In-Sample Fit" sheet: expected customers with 0 and 6 repeat transactions in 6 years
    np.testing.assert_allclose(bgbb.pmf([0, 6], 6) * w.sum(), [3454.9, 1253.1], atol=0.05)


# -- interfaces for lifetimes users ------------------------------------------------------------
def test_fit_takes_a_plain_summary_with_time_unit(cdnow, bg):
    own = cdnow.copy()
    own.attrs["time_unit"] = "W"
    ref = clv.fit("bgnbd", own)
    np.testing.assert_allclose(bg.params_, ref.params_, rtol=1e-10)
    assert bg.time_unit_ == "W" and cdnow.attrs.get("time_unit") is None  # the input is untouched
    # attrs win when they agree; a conflicting time_unit= is refused
    assert clv.fit("bgnbd", own, time_unit="w").time_unit_ == "W"
    with pytest.raises(ParameterError, match=r"conflicts.*attrs\['time_unit'\] = 'W'"):
        clv.fit("bgnbd", own, time_unit="D")
    with pytest.raises(ParameterError, match="time_unit"):
        clv.fit("bgnbd", cdnow, time_unit="weeks")
    with pytest.raises(ModelError, match="time_unit='W'"):
        clv.fit("bgnbd", cdnow)
    # a model fitted on a plain frame predicts on plain frames in its unit, and still refuses a
    # frame that says it is in another unit
    assert bg.p_alive(cdnow.head(3)).between(0, 1).all()
    days = cdnow.head(3).copy()
    days.attrs["time_unit"] = "D"
    with pytest.raises(ModelError, match="unit 'W'"):
        bg.p_alive(days)


def test_spend_models_without_monetary_value_are_data_errors(cdnow, bg):
    with pytest.raises(DataError, match="monetary_value.*--amount"):
        clv.fit("gammagamma", cdnow, time_unit="W")
    gg = clv.fit("gammagamma", load_cdnow_summary_data_with_monetary_value())
    with pytest.raises(DataError, match="monetary_value"):
        bg.clv(gg, 52, 0.1, cdnow, rate_unit="Y")
    with pytest.raises(DataError, match="monetary_value"):
        gg.conditional_expected_spend(cdnow)


GIVEN = {
    "bgnbd": BGNBD_CDNOW,
    "mbgnbd": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
    "paretonbd": PNBD_CDNOW,
    "bgbb": {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
    "gammagamma": {"p": 6.25, "q": 3.74, "v": 15.44},
    "sbg": {"alpha": 0.704, "beta": 1.182},
}


@pytest.mark.parametrize("key", sorted(GIVEN))
def test_from_params_predicts_like_the_fitted_model_with_those_parameters(key, cdnow, donations):
    m = clv.from_params(key, GIVEN[key], time_unit="W" if key in ("bgnbd", "mbgnbd", "paretonbd") else None)
    assert dict(m.params_) == pytest.approx(GIVEN[key])
    assert np.isnan(m.log_likelihood_) and m.n_customers_ == 0
    # the same predictions as a fitted model moved onto those parameters
    if key == "sbg":
        ref = clv.fit("sbg", pd.Series([1000, 631, 468, 382, 326, 289, 262, 241]))
    elif key == "bgbb":
        ref = clv.fit("bgbb", donations)
    elif key == "gammagamma":
        ref = clv.fit("gammagamma", load_cdnow_summary_data_with_monetary_value())
    else:
        ref = clv.fit(key, cdnow, time_unit="W")
    ref._theta = m._theta.copy()
    if key == "sbg":
        np.testing.assert_allclose(m.survival(np.arange(8)), ref.survival(np.arange(8)), rtol=1e-12)
        return
    if key == "gammagamma":
        s = load_cdnow_summary_data_with_monetary_value()
        np.testing.assert_allclose(m.conditional_expected_spend(s), ref.conditional_expected_spend(s),
                                   rtol=1e-12)
        return
    data = donations if key == "bgbb" else cdnow
    np.testing.assert_allclose(m.p_alive(data), ref.p_alive(), rtol=1e-12)
    np.testing.assert_allclose(m.conditional_expected_purchases(5, data),
                               ref.conditional_expected_purchases(5), rtol=1e-12)
    np.testing.assert_allclose(m.expected_purchases(5), ref.expected_purchases(5), rtol=1e-12)
    np.testing.assert_allclose(m.pmf([0, 1, 2], 5), ref.pmf([0, 1, 2], 5), rtol=1e-12)
    unit = "opportunity" if key == "bgbb" else "Y"
    np.testing.assert_allclose(m.clv(10.0, 5, 0.1, data, rate_unit=unit),
                               ref.clv(10.0, 5, 0.1, rate_unit=unit), rtol=1e-12)
    with pytest.raises(ModelError, match="intervals need.*from_params"):
        m.p_alive(data, interval=True)
    with pytest.raises(ModelError, match="pass data="):
        m.p_alive()


def test_from_params_clv_with_a_given_spend_model(cdnow):
    s = load_cdnow_summary_data_with_monetary_value()
    bgm = clv.from_params("bgnbd", BGNBD_CDNOW, time_unit="W")
    gg = clv.from_params("gammagamma", GIVEN["gammagamma"])
    v = bgm.clv(gg, 52, 0.1, s, rate_unit="Y")
    spend = gg.conditional_expected_spend(s)
    per = bgm.clv(1.0, 52, 0.1, s, rate_unit="Y")
    np.testing.assert_allclose(v, per * spend, rtol=1e-12)
    with pytest.raises(ModelError, match="intervals need"):
        bgm.clv(gg, 52, 0.1, s, rate_unit="Y", interval=True)


@pytest.mark.parametrize("params, match", [
    ({"r": 0.2, "alpha": 4.0, "a": 0.8}, r"missing \['b'\]"),
    ({"r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.0, "s": 1.0}, r"unknown \['s'\]"),
    ({"r": 0.2, "alpha": -4.0, "a": 0.8, "b": 2.0}, "finite number > 0"),
    ({"r": 0.2, "alpha": "x", "a": 0.8, "b": 2.0}, "must be a number"),
    ([1, 2], "dict"),
])
def test_from_params_bad_parameters(params, match):
    with pytest.raises(ParameterError, match=match):
        clv.from_params("bgnbd", params, time_unit="W")


def test_from_params_needs_a_unit_for_continuous_models():
    with pytest.raises(ParameterError, match="time_unit"):
        clv.from_params("paretonbd", PNBD_CDNOW)
    with pytest.raises(ParameterError, match="unknown"):
        clv.from_params("nbd", {})
