"""crmlab.clv behaviour: bad input, units, weights, intervals, validation, simulation recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmlab
import crmlab.clv as clv
from crmlab.errors import ModelError, ParameterError


@pytest.fixture(scope="module")
def cdnow(cdnow_weekly):
    return cdnow_weekly


@pytest.fixture(scope="module")
def models(cdnow):
    tx, s = cdnow
    c = crmlab.compress(s)
    return {key: clv.fit(key, c) for key in ("bgnbd", "mbgnbd", "paretonbd")}, clv.fit("gammagamma", s)


def frame(**cols):
    f = pd.DataFrame(cols)
    f.attrs["time_unit"] = "W"
    return f


GOOD = dict(frequency=[0, 1, 3, 2], recency=[0.0, 2.0, 10.0, 5.0], T=[10.0, 12.0, 12.0, 8.0])


@pytest.mark.parametrize("key", ["bgnbd", "mbgnbd", "paretonbd"])
@pytest.mark.parametrize("bad, match", [
    (dict(GOOD, frequency=[0, -1, 3, 2]), "negative"),
    (dict(GOOD, recency=[0.0, 2.0, 13.0, 5.0]), "recency is greater than T"),
    (dict(frequency=[1, 2], recency=[1.0, 2.0]), r"lacks column\(s\) \['T'\]"),
    (dict(frequency=[], recency=[], T=[]), "empty"),
    (dict(frequency=[0, 0], recency=[0.0, 0.0], T=[5.0, 6.0]), "no customer has a repeat purchase"),
    (dict(GOOD, recency=[1.0, 2.0, 10.0, 5.0]), "frequency 0 but recency > 0"),
    (dict(GOOD, T=[10.0, np.nan, 12.0, 8.0]), "missing or infinite"),
])
def test_bad_input_is_a_model_error(key, bad, match):
    with pytest.raises(ModelError, match=match):
        clv.fit(key, frame(**bad))


def test_unit_is_required_and_never_mixed(models, cdnow):
    _, s = cdnow
    no_unit = pd.DataFrame(GOOD)
    with pytest.raises(ModelError, match="time unit"):
        clv.fit("bgnbd", no_unit)
    bg = models[0]["bgnbd"]
    days = s.copy()
    days.attrs = dict(s.attrs, time_unit="D")
    with pytest.raises(ModelError, match="unit 'W'"):
        bg.p_alive(days)
    with pytest.raises(ParameterError, match="rate_unit"):
        bg.clv(1.0, 52, 0.01)
    with pytest.raises(ParameterError, match="unknown"):
        clv.fit("bgnbdx", s)
    with pytest.raises(ParameterError, match="option"):
        clv.fit("bgnbd", s, bogus=1)


def test_other_models_bad_input():
    with pytest.raises(ModelError, match="repeat"):
        clv.fit("gammagamma", frame(frequency=[0, 0], monetary_value=[0.0, 0.0]))
    with pytest.raises(ModelError, match="frequency <= recency <= n_periods"):
        clv.fit("bgbb", pd.DataFrame(dict(frequency=[2], recency=[1], n_periods=[6])))
    with pytest.raises(ModelError, match="non-increasing"):
        clv.fit("sbg", pd.Series([100, 80, 90]))
    with pytest.raises(ModelError, match="nobody churned"):
        clv.fit("sbg", pd.Series([100, 100, 100]))


def test_weights_equal_repeated_rows(cdnow, models):
    """Fitting the compressed patterns (weights) equals fitting every customer."""
    _, s = cdnow
    full = clv.fit("bgnbd", s)
    comp = models[0]["bgnbd"]
    assert np.allclose(full.params_, comp.params_, rtol=1e-5)
    assert full.log_likelihood_ == pytest.approx(comp.log_likelihood_, rel=1e-10)
    assert full.n_customers_ == comp.n_customers_ == len(s)


def test_summary_repr_and_information_criteria(models):
    bg = models[0]["bgnbd"]
    tab = bg.summary()
    assert list(tab.index) == ["r", "alpha", "a", "b"]
    assert (tab["lower 95%"] < tab["estimate"]).all() and (tab["estimate"] < tab["upper 95%"]).all()
    zh = bg.summary(lang="zh")
    assert "估计值" in zh.columns and "标准误" in zh.columns
    assert bg.aic_ == pytest.approx(-2 * bg.log_likelihood_ + 8)
    assert bg.bic_ == pytest.approx(-2 * bg.log_likelihood_ + 4 * np.log(bg.n_customers_))
    assert "BetaGeo" in repr(bg) and "unit=W" in repr(bg)
    assert "not fitted" in repr(clv.BetaGeo())
    with pytest.raises(ModelError, match="not fitted"):
        clv.BetaGeo().p_alive()


def test_standard_errors_agree_with_lifetimes_hessian(cdnow):
    import lifetimes  # a hard dependency: a broken lifetimes fails this test, never skips it

    _, s = cdnow
    bg = clv.fit("bgnbd", s)
    lf = lifetimes.BetaGeoFitter().fit(s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy())
    assert np.allclose(bg.standard_errors_.to_numpy(), lf.standard_errors_.to_numpy(), rtol=2e-2)


def test_intervals_cover_the_estimate_and_shrink_with_data(cdnow, models):
    _, s = cdnow
    (ms, gg) = models
    for key, m in ms.items():
        pa = m.p_alive(s, interval=True)
        assert ((pa["lower"] <= pa["p_alive"]) & (pa["p_alive"] <= pa["upper"])).all()
        assert ((pa["lower"] >= 0) & (pa["upper"] <= 1)).all()
        assert np.allclose(pa["p_alive"], m.p_alive(s))
        ce = m.conditional_expected_purchases(39, s, interval=True)
        assert (ce["lower"] < ce["expected_purchases"]).all() and (ce["expected_purchases"] < ce["upper"]).all()
        v = m.clv(gg, 12, 0.1, s, rate_unit="Y", interval=True)
        assert (v["lower"] <= v["clv"]).all() and (v["clv"] <= v["upper"]).all()
        assert np.allclose(v["clv"], m.clv(gg, 12, 0.1, s, rate_unit="Y"))
    # parametric check of the delta method: the interval of E[X(39)|x, t_x, T] for one customer
    # against simulation from the asymptotic normal distribution of the log parameters
    bg = ms["bgnbd"]
    one = s.iloc[[5]]
    ci = bg.conditional_expected_purchases(39, one, interval=True).iloc[0]
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(np.log(bg._theta), bg.covariance_log_.to_numpy(), 4000)
    x, tx, T = (one[c].to_numpy() for c in ("frequency", "recency", "T"))
    sims = np.array([bg._k_cond(np.exp(d), 39.0, x, tx, T)[0] for d in draws])
    lo, hi = np.quantile(sims, [0.025, 0.975])
    assert ci["lower"] == pytest.approx(lo, rel=0.05) and ci["upper"] == pytest.approx(hi, rel=0.05)


def test_chunked_intervals_equal_unchunked(models, cdnow):
    _, s = cdnow
    bg = models[0]["bgnbd"]
    x, tx, T = (s[c].to_numpy() for c in ("frequency", "recency", "T"))

    def f(th, _, sl):
        return bg._k_p_alive(th, x[sl], tx[sl], T[sl])

    a = bg._delta_interval(f, len(x), transform="logit", chunk=100)
    b = bg._delta_interval(f, len(x), transform="logit", chunk=10**6)
    for u, v in zip(a, b):
        assert np.allclose(u, v, rtol=1e-12)


def test_validation_tables(models, cdnow):
    tx, s = cdnow
    ms, _ = models
    rep = clv.holdout_report(ms, s)
    assert list(rep.index) == ["bgnbd", "mbgnbd", "paretonbd"]
    assert {"log-likelihood", "AIC", "BIC", "MAE", "RMSE", "aggregate bias"} <= set(rep.columns)
    zh = clv.holdout_report(ms, s, lang="zh")
    assert "平均绝对误差" in zh.columns
    bg = ms["bgnbd"]
    by = clv.conditional_by_frequency(bg, s)
    assert by["customers"].sum() == len(s)
    assert by["actual"].iloc[0] == pytest.approx(s.loc[s["frequency"] == 0, "frequency_holdout"].mean())
    tr = clv.tracking(bg, tx, s)
    # actual repeat transactions in the calibration period equal the summary's frequencies
    cal_weeks = int(np.floor(tr.attrs["calibration_end_period"]))
    assert tr["actual (cumulative)"].iloc[cal_weeks - 1] <= s["frequency"].sum()
    assert tr["actual (cumulative)"].iloc[-1] == s["frequency"].sum() + s["frequency_holdout"].sum()
    assert np.all(np.diff(tr["predicted (cumulative)"]) >= 0)
    # the model tracks the calibration total closely (it was fitted on it)
    total_pred = tr["predicted (cumulative)"].iloc[cal_weeks]
    assert total_pred == pytest.approx(s["frequency"].sum(), rel=0.05)
    g = clv.chi2_frequency(bg, s)
    assert g["observed"].sum() == len(s)
    assert g["expected"].sum() == pytest.approx(len(s), rel=1e-9)
    assert g.attrs["df"] == 8 - 1 - 4 and 0 <= g.attrs["p_value"] <= 1


def test_bgbb_and_sbg_interfaces():
    d = crmlab.datasets.load_donations()
    m = clv.fit("bgbb", d)
    # the discrete-time expectations are consistent: E over the pmf equals expected_purchases
    n = np.arange(0, 7)
    assert (n * m.pmf(n, 6)).sum() == pytest.approx(m.expected_purchases(6), rel=1e-10)
    assert m.pmf(n, 6).sum() == pytest.approx(1.0, rel=1e-10)
    pa = m.p_alive(interval=True)
    assert ((pa["lower"] <= pa["p_alive"]) & (pa["p_alive"] <= pa["upper"])).all()
    sbg = clv.ShiftedBetaGeometric().fit(pd.Series([1000, 631, 468, 382, 326, 289, 262, 241]))
    proj = sbg.project(12)
    assert proj["survival"].iloc[0] == 1.0 and proj["survival"].is_monotonic_decreasing
    # the observed survival, counts or percentages alike, as a share of period 0
    cohorts = crmlab.datasets.load_retention_cohorts()
    pct = sbg.project(14, actual=cohorts["regular"])
    assert np.allclose(pct["actual"].iloc[:13], cohorts["regular"] / 100, rtol=1e-12)
    assert pct["actual"].iloc[13:].isna().all()
    counts = sbg.project(3, actual=cohorts["regular"] * 10)
    assert np.allclose(counts["actual"], cohorts["regular"].iloc[:4] / 100, rtol=1e-12)
    with pytest.raises(ModelError, match="non-increasing"):
        sbg.project(3, actual=[100, 90, 95])


def test_simulation_recovery_100k():
    """simulate_retail draws BG/NBD purchasing and Gamma-Gamma spend with known parameters;
    100,000 customers recover them within 3%.

    The summary here is built from the exact timestamps (continuous time in weeks): with
    crmlab.summarise(aggregate="D") the 1.9% of purchases that fall on the same day as another
    one are merged, which biases alpha upward by ~6% (7 standard errors) at this sample size.
    """
    tx = crmlab.datasets.simulate_retail(100_000, seed=1)
    truth, end = tx.meta["truth"], tx.meta["calibration_end"]
    f = tx.frame[tx.frame["date"] <= end]
    g = f.groupby("customer_id").agg(first=("date", "min"), last=("date", "max"), n=("date", "size"))
    s = pd.DataFrame({
        "frequency": g["n"] - 1,
        "recency": (g["last"] - g["first"]).dt.total_seconds() / (7 * 86400),
        "T": (end - g["first"]).dt.total_seconds() / (7 * 86400),
    })
    s.attrs["time_unit"] = "W"
    bg = clv.fit("bgnbd", s)
    for k in ("r", "alpha", "a", "b"):
        assert bg.params_[k] == pytest.approx(truth[k], rel=0.03), k
    # 100k distinct patterns: the fit explores on a subsample first; a single plain L-BFGS-B
    # run on all the data lands on the same maximum
    plain = clv.fit("bgnbd", s, n_starts=1)
    assert np.allclose(bg.params_, plain.params_, rtol=1e-5)
    assert np.allclose(bg.standard_errors_, plain.standard_errors_, rtol=1e-2)
    # spend: mean repeat transaction value per customer
    amt = f.sort_values("date").groupby("customer_id")["amount"]
    rep = pd.DataFrame({"frequency": s["frequency"],
                        "monetary_value": (amt.sum() - amt.first()) / s["frequency"].where(s["frequency"] > 0)})
    gg = clv.fit("gammagamma", rep.fillna(0.0))
    for k in ("p", "q", "v"):
        assert gg.params_[k] == pytest.approx(truth[k], rel=0.03), k


# -- BG/BB CLV: discounted expected residual transactions (FHS 2010, eq. 14) ------------------
@pytest.fixture(scope="module")
def bgbb():
    d = crmlab.datasets.load_donations()
    return d, clv.fit("bgbb", d)


def test_bgbb_dert_equals_brute_force_sum_of_conditional_expectations(bgbb):
    """A finite-horizon DERT is the discounted sum of the per-opportunity increments of
    conditional_expected_purchases; an undiscounted one is conditional_expected_purchases(H)."""
    d, m = bgbb
    rate, H = 0.1, 12
    cum = [np.zeros(len(d))] + [m.conditional_expected_purchases(t).to_numpy() for t in range(1, H + 1)]
    brute = sum((cum[s] - cum[s - 1]) / (1 + rate) ** s for s in range(1, H + 1))
    ours = m.dert(rate, horizon=H, rate_unit="opportunity")
    assert np.allclose(ours.to_numpy(), brute, rtol=1e-10, atol=0)
    assert ours.index.equals(d.index) and ours.name == "dert"
    assert np.allclose(m.dert(0.0, horizon=H, rate_unit="opportunity"), cum[H], rtol=1e-10, atol=0)
    # clv with a constant value per purchase is that value times DERT
    assert np.allclose(m.clv(25.0, H, rate, rate_unit="opportunity"), 25.0 * ours, rtol=1e-12)


def test_bgbb_dert_finite_horizon_converges_to_closed_form(bgbb):
    d, m = bgbb
    for rate in (0.1, 0.02):
        closed = m.dert(rate, rate_unit="opportunity").to_numpy()  # horizon=inf: eq. 14, 2F1 form
        # the tail beyond H is at most z^H * closed form: 1.1^-600 ~ 1e-25, 1.02^-3000 ~ 1e-26
        H = 600 if rate == 0.1 else 3000
        assert np.allclose(m.dert(rate, horizon=H, rate_unit="opportunity"), closed, rtol=1e-10, atol=0)
        short = m.dert(rate, horizon=5, rate_unit="opportunity").to_numpy()
        assert np.all(short < closed)
    # default horizon is the whole residual lifetime
    assert np.allclose(m.clv(1.0, np.inf, 0.1, rate_unit="opportunity"), m.dert(0.1, rate_unit="opportunity"))


def test_bgbb_dert_tail_identity_and_posterior_integral(bgbb):
    """Two checks of the hypergeometric closed form that do not use the finite sum's code path
    the same way: (1) Σ_{s=1..H} = Σ_{s>=1} − z^H Σ_{s>=1} shifted by H opportunities;
    (2) DERT as an integral over the posterior of p and θ (Beta(γ, δ) weight), by quadrature."""
    from scipy import integrate
    from scipy.special import betaln

    from crmlab.clv.bgbb import _log_dropout_sum

    d, m = bgbb
    al, be, ga, de = m._theta
    n = np.array([0.0, 3.0, 6.0, 11.0])
    z = 1 / 1.15
    for H in (1, 4, 30):
        fin = np.exp(_log_dropout_sum(ga, de, n, z, H))
        tail = np.exp(_log_dropout_sum(ga, de, n + H, z, np.inf))
        assert np.allclose(fin, np.exp(_log_dropout_sum(ga, de, n, z, np.inf)) - z**H * tail, rtol=1e-10)
    # E[ Σ_s p (1-θ)^s z^s ; alive at n ] / L: the θ part is ∫ (1-θ)^(n+1) z / (1 - (1-θ) z) dBeta(γ, δ)
    ll, _ = m._loglik(m._theta, m._d, grad=False)
    dert = m.dert(0.15, rate_unit="opportunity").to_numpy()
    for row in (0, 6, 14, 21):
        x, nn = d["frequency"].iloc[row], d["n_periods"].iloc[row]
        val, _ = integrate.quad(lambda th: (1 - th) ** (nn + 1) * z / (1 - (1 - th) * z), 0, 1,
                                weight="alg", wvar=(ga - 1, de - 1), epsabs=0, epsrel=1e-12)
        theta_part = val / np.exp(betaln(ga, de))
        p_part = np.exp(betaln(al + x + 1, be + nn - x) - betaln(al, be))
        assert dert[row] == pytest.approx(p_part * theta_part / np.exp(ll[row]), rel=1e-8), row
    # more past purchases with the last one at n: worth more (DERT rises with frequency)
    at_n = d["recency"] == d["n_periods"]
    assert np.all(np.diff(dert[at_n.to_numpy()]) > 0)


def test_bgbb_alive_opportunities_is_its_sum_at_and_near_gamma_one():
    """The dropout factor of FHS (2010) eq. 13, Σ_{i=n+1}^{n+t} B(γ, δ+i)/B(γ, δ), summed term by
    term: its closed form divides by γ − 1, so γ = 1 exactly used to give NaN and γ near 1 lost
    digits (7e-7 relative at γ = 1 + 3e-8). Checked on both sides of the switch to the series."""
    from scipy.special import betaln

    from crmlab.clv.bgbb import _alive_opportunities

    n, t, delta = np.array([0.0, 1.0, 5.0, 11.0]), np.array([1.0, 4.0, 10.0, 30.0]), 2.7
    for gamma in (0.3, 0.99, 1 - 2e-3, 1 - 5e-4, 1 - 1e-9, 1.0, 1 + 1e-12, 1 + 3e-8, 1.5, 4.0):
        brute = np.array([sum(np.exp(betaln(gamma, delta + i) - betaln(gamma, delta))
                              for i in range(int(nn) + 1, int(nn + tt) + 1))
                          for nn, tt in zip(n, t)])
        ours = _alive_opportunities(gamma, delta, n, t)
        assert np.all(np.isfinite(ours)), gamma
        assert np.allclose(ours, brute, rtol=1e-10, atol=0), gamma


def test_bgbb_predictions_are_finite_at_gamma_one(bgbb):
    """A model with γ = 1 (set by hand, e.g. in a what-if) predicts like its neighbours."""
    import copy

    d, m = bgbb
    al, be, _, de = m._theta
    preds = {}
    for ga in (1.0, 1 + 1e-6):
        mm = copy.copy(m)
        mm._theta = np.array([al, be, ga, de])
        preds[ga] = (mm.conditional_expected_purchases(5).to_numpy(), mm.expected_purchases(5))
    assert np.all(np.isfinite(preds[1.0][0])) and np.isfinite(preds[1.0][1])
    assert np.allclose(preds[1.0][0], preds[1 + 1e-6][0], rtol=1e-5)
    assert preds[1.0][1] == pytest.approx(preds[1 + 1e-6][1], rel=1e-5)


def test_bgbb_clv_rate_unit_is_per_opportunity(bgbb):
    d, m = bgbb
    base = m.clv(10.0, 8, 0.1, rate_unit="opportunity")
    with pytest.raises(ParameterError, match="opportunity"):
        m.clv(10.0, 8, 0.1)  # no unit: refused
    with pytest.raises(ParameterError, match="rate_unit='M'"):
        m.clv(10.0, 8, 0.1, rate_unit="M")  # donations: one opportunity is a year, not a month
    # the summary declares one opportunity = one year (attrs['period']), so 'Y' is the same rate
    assert np.allclose(m.clv(10.0, 8, 0.1, rate_unit="Y"), base, rtol=1e-14)
    # without a declared period, a calendar unit is refused; the summary's own unit is accepted
    bare = d.copy()
    bare.attrs = {}
    mb = clv.fit("bgbb", bare)
    with pytest.raises(ParameterError, match="does not say how long"):
        mb.dert(0.1, rate_unit="Y")
    assert np.allclose(mb.dert(0.1, rate_unit="periods"), mb.dert(0.1, rate_unit="opportunity"))
    for bad in (dict(horizon=0), dict(horizon=2.5), dict(horizon="6")):
        with pytest.raises(ParameterError, match="horizon"):
            m.clv(10.0, bad["horizon"], 0.1, rate_unit="opportunity")
    with pytest.raises(ParameterError, match="discount_rate > 0"):
        m.clv(10.0, np.inf, 0.0, rate_unit="opportunity")
    with pytest.raises(ParameterError, match="discount_rate"):
        m.clv(10.0, 8, -0.2, rate_unit="opportunity")
    with pytest.raises(ParameterError, match="spend_model"):
        m.clv("lots", 8, 0.1, rate_unit="opportunity")
    # predictions for new data: the same patterns give the same values, in their order
    new = d.iloc[[21, 0, 7]].drop(columns="weights")
    assert np.allclose(m.clv(10.0, 8, 0.1, new, rate_unit="opportunity"), base.iloc[[21, 0, 7]].to_numpy())


def test_bgbb_clv_delta_method_intervals(bgbb):
    """Intervals reuse the models' delta-method machinery; a fitted Gamma-Gamma spend model adds
    its own parameter uncertainty, so the interval gets wider than with a fixed spend."""
    d, m = bgbb
    dv = m.dert(0.1, rate_unit="opportunity", interval=True)
    assert np.allclose(dv["dert"], m.dert(0.1, rate_unit="opportunity"), rtol=1e-12)
    assert ((dv["lower"] < dv["dert"]) & (dv["dert"] < dv["upper"])).all()
    fixed = m.clv(30.0, 10, 0.1, rate_unit="opportunity", interval=True)
    assert np.allclose(fixed[["clv", "lower", "upper"]].to_numpy(), 30.0 * m.dert(0.1, horizon=10,
                       rate_unit="opportunity", interval=True)[["dert", "lower", "upper"]].to_numpy(), rtol=1e-9)
    # one row per donor, with a mean gift drawn from the Gamma-Gamma story (p=6, q=4, v=15):
    # ν ~ Gamma(q, rate v), mean of x gifts ~ Gamma(p·x, rate ν·x)
    rng = np.random.default_rng(7)
    donors = d.loc[d.index.repeat(d["weights"])].drop(columns="weights").reset_index(drop=True)
    x = donors["frequency"].to_numpy()
    nu = rng.gamma(4.0, 1 / 15.0, len(x))
    mean_gift = rng.gamma(np.maximum(6.0 * x, 1.0), 1 / (nu * np.maximum(x, 1)))
    donors["monetary_value"] = np.where(x > 0, mean_gift, 0.0)
    gg = clv.fit("gammagamma", donors)
    assert not gg.convergence_.boundary
    with_gg = m.clv(gg, 10, 0.1, donors, rate_unit="opportunity", interval=True)
    spend = gg.conditional_expected_spend(donors).to_numpy()
    dert_donors = m.dert(0.1, donors, horizon=10, rate_unit="opportunity", interval=True)
    assert np.allclose(with_gg["clv"], spend * dert_donors["dert"], rtol=1e-12)
    width_gg = np.log(with_gg["upper"] / with_gg["lower"])
    width_dert = np.log(dert_donors["upper"] / dert_donors["lower"])
    assert np.all(width_gg > width_dert)


def test_bgbb_dert_many_opportunities(bgbb):
    """Weekly opportunities over ten years (n = 520) at a weekly rate near 10% a year: the
    closed form's 2F1(1, δ+n+1; γ+δ+n+1; z) has large parameters and z close to 1, where
    scipy's series is not usable (crmlab then evaluates Euler's integral). Checked against the
    finite-horizon sum, which for 1.0018^-25000 ~ 3e-20 has no visible tail left."""
    from scipy.special import hyp2f1

    from crmlab.clv.bgbb import _hyp2f1_euler

    _, m = bgbb
    weekly = pd.DataFrame({"frequency": [0, 3, 40, 260, 519], "recency": [0, 500, 300, 520, 520],
                           "n_periods": [520, 520, 520, 520, 520]})
    rate = 1.10 ** (7 / 365.25) - 1
    closed = m.dert(rate, weekly, rate_unit="opportunity")
    assert np.all(np.isfinite(closed)) and np.all(closed > 0)
    long_sum = m.dert(rate, weekly, horizon=25_000, rate_unit="opportunity")
    assert np.allclose(closed, long_sum, rtol=1e-9, atol=0)
    # Euler's integral equals scipy's 2F1 where the series is well within scipy's range
    for b, g, z in [(3.8, 0.66, 0.9), (9.0, 2.5, 0.5), (1.5, 0.1, 0.99), (40.0, 3.0, 0.8)]:
        assert _hyp2f1_euler(g, b, z) == pytest.approx(hyp2f1(1, b, b + g, z), rel=1e-10)


def test_equity_sensitivity_sums_clv_per_rate_and_horizon(models, cdnow):
    from crmlab.clv.validation import equity_sensitivity

    _, s = cdnow
    (ms, gg), sub = models, s.iloc[:400]
    bg = ms["bgnbd"]
    grid = equity_sensitivity(bg, gg, sub, horizons=[26, 52], discount_rates=[0.0, 0.1], rate_unit="Y")
    assert grid.index.tolist() == [0.0, 0.1] and grid.columns.tolist() == [26, 52]
    assert grid.loc[0.1, 52] == pytest.approx(float(bg.clv(gg, 52, 0.1, data=sub, rate_unit="Y").sum()), rel=1e-12)
    assert (grid[52] > grid[26]).all() and (grid.loc[0.0] > grid.loc[0.1]).all()  # longer / undiscounted is worth more
    with pytest.raises(crmlab.errors.ParameterError, match="at least one"):
        equity_sensitivity(bg, gg, sub, horizons=[], discount_rates=[0.1])
