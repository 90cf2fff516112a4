"""Time-invariant covariates in Pareto/NBD and BG/NBD (issue #14): recovery of known
coefficients from seeded simulations, the likelihood gain over the nested model, the baseline
(all covariates zero) being the plain model, per-customer predictions and bad covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import crmlab.clv as clv
from crmlab.errors import DataError, ParameterError

GP = np.array([0.5, -0.3])  # purchase coefficients of z1, z2 (positive: more purchasing)
GD = np.array([0.4, 0.6])  # dropout coefficients (positive: faster dropout)


def _covariates(rng, n):
    z1 = rng.normal(1.0, 1.0, n)  # not centred: the fit must map its centring back
    z2 = (rng.random(n) < 0.4).astype(float)  # a "channel" dummy
    return np.column_stack([z1, z2])


def _frame(x, tx, T, Z, dropout):
    """The summary, the covariates and each customer's simulated dropout (Pareto/NBD: the rate
    mu; BG/NBD: the probability p), which no fit uses."""
    f = pd.DataFrame({"frequency": x, "recency": tx, "T": T, "z1": Z[:, 0], "z2": Z[:, 1],
                      "true_dropout": dropout})
    f.attrs["time_unit"] = "W"
    return f


def sim_paretonbd(n, r, alpha, s, beta, seed):
    rng = np.random.default_rng(seed)
    Z = _covariates(rng, n)
    lam = rng.gamma(r, 1 / (alpha * np.exp(-Z @ GP)))
    mu = rng.gamma(s, 1 / (beta * np.exp(-Z @ GD)))
    T = rng.uniform(26, 52, n)
    end = np.minimum(rng.exponential(1 / mu), T)
    x = rng.poisson(lam * end).astype(float)
    tx = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1), 0.0)  # the last of x uniform times
    return _frame(x, tx, T, Z, mu)


def sim_bgnbd(n, r, alpha, a, b, seed):
    rng = np.random.default_rng(seed)
    Z = _covariates(rng, n)
    lam = rng.gamma(r, 1 / (alpha * np.exp(-Z @ GP)))
    p = rng.beta(a * np.exp(Z @ GD / 2), b * np.exp(-Z @ GD / 2))
    T = rng.uniform(26, 52, n)
    x, tx, t = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        i = np.flatnonzero(alive)
        tn = t[i] + rng.exponential(1 / lam[i])
        ok = tn <= T[i]
        x[i[ok]] += 1
        tx[i[ok]] = tn[ok]
        t[i] = tn
        alive[i] = ok & (rng.random(len(i)) >= p[i])  # dropout after each repeat purchase
    return _frame(x, tx, T, Z, p)


TRUE = {
    "paretonbd": {"r": 0.8, "alpha": 8.0, "s": 0.7, "beta": 12.0},
    "bgnbd": {"r": 0.8, "alpha": 8.0, "a": 0.8, "b": 4.0},
}


@pytest.fixture(scope="module", params=["paretonbd", "bgnbd"])
def world(request):
    key = request.param
    sim = sim_paretonbd if key == "paretonbd" else sim_bgnbd
    f = sim(20_000, seed=11, **TRUE[key])
    return key, f, clv.fit(key, f, covariates=["z1", "z2"])


def test_recovers_known_coefficients(world):
    key, f, m = world
    truth = pd.Series({**TRUE[key], "purchase:z1": GP[0], "purchase:z2": GP[1],
                       "dropout:z1": GD[0], "dropout:z2": GD[1]})
    assert list(m.params_.index) == list(truth.index)
    z = (m.params_ - truth) / m.standard_errors_
    # eight estimates, each within 4 standard errors (two-sided 6e-5 each, 5e-4 for all eight)
    assert (z.abs() < 4).all(), z.round(2).to_dict()
    # and the standard errors are small enough for the signs to be clear
    assert (m.standard_errors_[4:] < 0.05).all()
    out = m.summary()
    coef = out.loc["purchase:z1"]
    assert coef["lower 95%"] == pytest.approx(coef["estimate"] - 1.959964 * coef["std. error"], rel=1e-9)
    assert coef["upper 95%"] == pytest.approx(coef["estimate"] + 1.959964 * coef["std. error"], rel=1e-9)


def test_likelihood_gain_over_nested_model(world):
    key, f, m = world
    plain = clv.fit(key, f[["frequency", "recency", "T"]])
    assert m.nested_.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-8)
    assert m.likelihood_gain_ == pytest.approx(m.log_likelihood_ - plain.log_likelihood_, rel=1e-12)
    # likelihood-ratio test with 4 degrees of freedom, far beyond the 0.1% critical value
    assert 2 * m.likelihood_gain_ > stats.chi2.ppf(0.999, 4)


def test_baseline_is_the_plain_model_and_predictions_are_per_customer(world):
    key, f, m = world
    base = clv.from_params(key, dict(m.params_.iloc[:4]), time_unit="W")
    rows = f.head(6).copy()
    zero = rows.assign(z1=0.0, z2=0.0)
    np.testing.assert_allclose(m.p_alive(zero), base.p_alive(zero), rtol=1e-12)
    np.testing.assert_allclose(m.conditional_expected_purchases(10, zero),
                               base.conditional_expected_purchases(10, zero), rtol=1e-12)
    assert m.expected_purchases(10) == pytest.approx(base.expected_purchases(10), rel=1e-12)
    # a customer's own covariates: the plain model with that customer's α_i (and β_i or a_i, b_i)
    one = rows.iloc[[0]]
    z1, z2 = one["z1"].iloc[0], one["z2"].iloc[0]
    c = m.params_
    p = dict(c.iloc[:4])
    lp = c["purchase:z1"] * z1 + c["purchase:z2"] * z2
    ld = c["dropout:z1"] * z1 + c["dropout:z2"] * z2
    p["alpha"] *= np.exp(-lp)
    if key == "paretonbd":
        p["beta"] *= np.exp(-ld)
    else:
        p["a"] *= np.exp(ld / 2)
        p["b"] *= np.exp(-ld / 2)
    own = clv.from_params(key, p, time_unit="W")
    np.testing.assert_allclose(m.p_alive(one), own.p_alive(one), rtol=1e-12)
    np.testing.assert_allclose(m.conditional_expected_purchases(10, one),
                               own.conditional_expected_purchases(10, one), rtol=1e-12)
    np.testing.assert_allclose(m.clv(5.0, 26, 0.1, one, rate_unit="Y"),
                               own.clv(5.0, 26, 0.1, one, rate_unit="Y"), rtol=1e-12)
    np.testing.assert_allclose(m.expected_purchases(10, one), own.expected_purchases(10), rtol=1e-12)
    # positive coefficients: a higher mean purchase rate r/α_i and a faster mean dropout
    rows_p = m._theta_of(m._theta, np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]]))
    assert c["r"] / rows_p[1][0] > c["r"] / c["alpha"]
    if key == "paretonbd":
        assert c["s"] / rows_p[3][0] > c["s"] / c["beta"]
    else:
        assert rows_p[2][0] / (rows_p[2][0] + rows_p[3][0]) > c["a"] / (c["a"] + c["b"])


def test_a_positive_dropout_coefficient_means_faster_dropout(world):
    """The reading in crmlab.clv.covariates. BG/NBD: a_i = a0 exp(g z/2), b_i = b0 exp(-g z/2)
    multiplies the odds of the mean dropout probability a_i/(a_i+b_i) by exp(g) per unit of z
    (CLVTools' a0 exp(g z), b0 exp(g z) would leave that mean unchanged); Pareto/NBD:
    beta_i = beta0 exp(-g z) multiplies the mean dropout rate s/beta_i by exp(g)."""
    key, f, m = world
    g1, g2 = m.params_["dropout:z1"], m.params_["dropout:z2"]
    assert g1 > 0 and g2 > 0  # the simulated coefficients are positive (GD = 0.4, 0.6)
    none = np.zeros((1, 2))

    def mean_dropout(Zd):
        th = m._theta_of(m._theta, np.zeros((len(Zd), 2)), Zd)
        if key == "bgnbd":
            return th[2] / (th[2] + th[3]), th[2] * th[3]
        return th[2] / th[3], None  # s / beta_i

    (m0, ab0), (m1, ab1) = mean_dropout(none), mean_dropout(np.array([[1.0, 0.0]]))
    assert m1[0] > m0[0]
    if key == "bgnbd":
        odds = (m1 / (1 - m1)) / (m0 / (1 - m0))
        assert odds[0] == pytest.approx(np.exp(g1), rel=1e-12)
        assert ab1[0] == pytest.approx(ab0[0], rel=1e-12)  # a_i b_i fixed
    else:
        assert m1[0] / m0[0] == pytest.approx(np.exp(g1), rel=1e-12)
    # against the simulation: the mean fitted dropout of the customers with the dummy z2 = 1
    # and of those with z2 = 0 match the means of their simulated p (mu), and z2 = 1 is higher
    Zd = f[["z1", "z2"]].to_numpy()
    fitted, _ = mean_dropout(Zd)
    for grp in (0.0, 1.0):
        sel = (f["z2"] == grp).to_numpy()
        truth = f["true_dropout"][sel]
        assert fitted[sel].mean() == pytest.approx(truth.mean(), rel=0.05), grp
    assert fitted[Zd[:, 1] == 1].mean() > 1.3 * fitted[Zd[:, 1] == 0].mean()
    assert f["true_dropout"][f["z2"] == 1].mean() > 1.3 * f["true_dropout"][f["z2"] == 0].mean()


def test_intervals_and_holdout(world):
    key, f, m = world
    pa = m.p_alive(f.head(50), interval=True)
    assert ((pa["lower"] <= pa["p_alive"]) & (pa["p_alive"] <= pa["upper"])).all()
    assert (pa["upper"] - pa["lower"] > 0).any()
    h = f.head(500).assign(frequency_holdout=1.0, duration_holdout=10.0)
    rep = clv.holdout_report({key: m}, h)
    pred = m.conditional_expected_purchases(10, h)
    assert rep.loc[key, "MAE"] == pytest.approx(np.mean(np.abs(pred - 1.0)), rel=1e-12)


def test_an_irrelevant_covariate_gets_a_zero_coefficient():
    f = sim_bgnbd(8_000, seed=5, **TRUE["bgnbd"])
    rng = np.random.default_rng(9)
    f["noise"] = rng.normal(size=len(f))
    m = clv.fit("bgnbd", f, covariates={"purchase": ["noise"]})
    assert list(m.params_.index) == ["r", "alpha", "a", "b", "purchase:noise"]
    assert abs(m.params_["purchase:noise"]) < 4 * m.standard_errors_["purchase:noise"]
    assert 0 <= m.likelihood_gain_ < stats.chi2.ppf(0.999, 1) / 2


@pytest.mark.parametrize("change, spec, err, match", [
    (lambda f: f.assign(z1=f["z1"].astype(str)), ["z1"], DataError, "not numeric"),
    (lambda f: f.assign(z1=3.0), ["z1"], DataError, "constant"),
    (lambda f: f.assign(z1=f["z1"].where(f.index != 3)), ["z1"], DataError, "1 missing"),
    (lambda f: f.assign(z3=2 * f["z1"] - f["z2"] + 1), ["z1", "z2", "z3"], DataError, "collinear"),
    (lambda f: f, ["nope"], DataError, r"no covariate column\(s\) \['nope'\]"),
    (lambda f: f, {"purchase": ["z1"], "drop": ["z2"]}, ParameterError, "unknown"),
    (lambda f: f, {"purchase": []}, ParameterError, "names no column"),
    (lambda f: f, ["z1", "z1"], ParameterError, "twice"),
])
@pytest.mark.parametrize("key", ["paretonbd", "bgnbd"])
def test_bad_covariates(key, change, spec, err, match):
    f = change(sim_bgnbd(300, seed=1, **TRUE["bgnbd"]))
    with pytest.raises(err, match=match):
        clv.fit(key, f, covariates=spec)


def test_covariates_only_for_paretonbd_and_bgnbd():
    f = sim_bgnbd(300, seed=1, **TRUE["bgnbd"])
    with pytest.raises(ParameterError, match="'paretonbd' and 'bgnbd'"):
        clv.fit("mbgnbd", f, covariates=["z1"])
    with pytest.raises(ParameterError, match="penalizer"):
        clv.fit("bgnbd", f, covariates=["z1"], penalizer=0.1)


def test_population_tools_use_the_baseline(world):
    from crmlab.clv import plots

    key, f, m = world
    base = clv.from_params(key, dict(m.params_.iloc[:4]), time_unit="W")
    np.testing.assert_allclose(m.pmf([0, 1, 2], 10.0), base.pmf([0, 1, 2], 10.0), rtol=1e-12)
    fig = plots.plot_p_alive_matrix(m, T=52, lang="en")
    assert fig.crmlab_caption
    tab = clv.fit_table({"cov": m})
    assert tab.loc["cov", "purchase:z1"] == m.params_["purchase:z1"]
