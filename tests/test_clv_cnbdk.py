"""BG/CNBD-k and MBG/CNBD-k (purchase regularity): reduction to BG/NBD and MBG/NBD at k = 1,
exact predictions checked against a seeded simulation, the k search, and the replication
results of Reutterer, Platzer & Schröder (2021) on the benchmark logs.

``litt`` is computed here from the transaction log with plain pandas (same-day purchases merged,
weeks), independently of ``crmlab.summarise(..., regularity=True)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import crmlab.clv as clv
from crmlab.clv.bgnbd import BetaGeo, ModifiedBetaGeo
from crmlab.datasets import benchmark_summary, load_benchmark
from crmlab.errors import DataError, ModelError, ParameterError


def with_litt(name: str) -> pd.DataFrame:
    """The study's weekly calibration/holdout summary plus litt from the log (plain pandas)."""
    s = benchmark_summary(name)
    f = load_benchmark(name).frame
    d = pd.DataFrame({"c": f["customer_id"].astype(str).to_numpy(),
                      "d": pd.to_datetime(f["date"]).dt.normalize().to_numpy()})
    d = d[d["d"] <= pd.Timestamp(s.attrs["calibration_end"])].drop_duplicates().sort_values(["c", "d"])
    gaps = d.groupby("c")["d"].diff().dt.days / 7.0
    litt = np.log(gaps).groupby(d["c"]).sum()
    out = s.copy()
    out["litt"] = litt.reindex(s.index.astype(str)).fillna(0.0).to_numpy()
    return out


def test_summarise_regularity_gives_the_same_fit():
    """crmlab.summarise(..., regularity=True) and compress carry litt as the pandas reference."""
    import crmlab

    tx = load_benchmark("grocery")
    s = crmlab.summarise(tx, observation_end=tx.meta["observation_end"],
                         calibration_end=tx.meta["calibration_end"], aggregate="D", time_unit="W",
                         regularity=True)
    ref = with_litt("grocery")
    np.testing.assert_allclose(s["litt"].to_numpy(), ref.loc[s.index, "litt"].to_numpy(), atol=1e-9)
    m = clv.fit("mbgcnbdk", crmlab.compress(s))
    assert m.k_ == 2
    assert m.log_likelihood_ == pytest.approx(clv.fit("mbgcnbdk", ref, k=2).log_likelihood_, rel=1e-9)


def simulate(n, k, r, alpha, a, b, shift, t_cal, t_star, seed):
    """Customers of a (M)BG/CNBD-k world: calibration summary with litt and holdout counts."""
    rng = np.random.default_rng(seed)
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    T = rng.uniform(t_cal / 2, t_cal, n)
    x, tx, litt, hold, t = (np.zeros(n) for _ in range(5))
    alive = np.ones(n, bool) if not shift else rng.random(n) >= p
    while alive.any():
        i = np.flatnonzero(alive)
        gap = rng.gamma(k, 1 / lam[i])
        tn = t[i] + gap
        cal = tn <= T[i]
        hol = (tn > T[i]) & (tn <= T[i] + t_star)
        x[i[cal]] += 1
        tx[i[cal]] = tn[cal]
        litt[i[cal]] += np.log(gap[cal])
        hold[i[hol]] += 1
        t[i] = tn
        alive[i] = (cal | hol) & (rng.random(len(i)) >= p[i])  # dropout after each purchase
    f = pd.DataFrame({"frequency": x, "recency": tx, "T": T, "litt": litt,
                      "frequency_holdout": hold, "duration_holdout": float(t_star)})
    f.attrs["time_unit"] = "W"
    return f


TRUE = {"k": 3, "r": 1.5, "alpha": 6.0, "a": 0.8, "b": 4.0}


@pytest.fixture(scope="module", params=[("bgcnbdk", 0), ("mbgcnbdk", 1)], ids=["bg", "mbg"])
def world(request):
    key, shift = request.param
    f = simulate(40_000, shift=shift, t_cal=52, t_star=39, seed=7, **TRUE)
    return key, f, clv.fit(key, f)


@pytest.fixture(scope="module")
def cdnow():
    return with_litt("cdnow")


# -- k = 1 is the BG/NBD and the MBG/NBD --------------------------------------------------------
@pytest.mark.parametrize("key, nbd, cls", [("bgcnbdk", "bgnbd", BetaGeo), ("mbgcnbdk", "mbgnbd", ModifiedBetaGeo)])
def test_k1_equals_bgnbd_and_mbgnbd(cdnow, key, nbd, cls):
    m = clv.fit(key, cdnow, k=1)
    ref = clv.fit(nbd, cdnow)
    assert m.params_["k"] == 1
    np.testing.assert_allclose(m.params_[["r", "alpha", "a", "b"]], ref.params_, rtol=1e-5)
    assert m.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-10)
    # at the same parameters every prediction is the BG/NBD closed form (hypergeometric), which
    # the CNBD-k code never calls: it sums negative-binomial tails
    th = ref._theta
    np.testing.assert_allclose(m._loglik(th, ref._d, grad=False)[0], ref._loglik(th, ref._d, grad=False)[0],
                               rtol=1e-12)
    m._theta = th.copy()
    for got, want in [
        (m.p_alive(), ref.p_alive()),
        (m.conditional_expected_purchases(39), ref.conditional_expected_purchases(39)),
        (m.expected_purchases(np.array([1.0, 39.0, 78.0])), ref.expected_purchases(np.array([1.0, 39.0, 78.0]))),
        (m.pmf(np.arange(8), 39.0), ref.pmf(np.arange(8), 39.0)),
        (m.clv(10.0, 52, 0.1, rate_unit="Y"), ref.clv(10.0, 52, 0.1, rate_unit="Y")),
    ]:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)


def test_gradient_is_exact():
    f = simulate(2_000, shift=0, t_cal=52, t_star=10, seed=3, **TRUE)
    for key in ("bgcnbdk", "mbgcnbdk"):
        m = clv.fit(key, f, k=3)
        d = m._d
        logp = np.log([1.2, 5.0, 0.7, 3.0])
        _, g = m._loglik(np.exp(logp), d)
        for i in range(4):
            h = np.zeros(4)
            h[i] = 1e-6
            num = (d["w"] @ m._loglik(np.exp(logp + h), d, grad=False)[0]
                   - d["w"] @ m._loglik(np.exp(logp - h), d, grad=False)[0]) / 2e-6
            assert (d["w"] @ g[:, i]) == pytest.approx(num, rel=1e-5, abs=1e-4)


# -- simulation: the k search, recovery and exact predictions ----------------------------------
def test_k_search_and_recovery(world):
    key, f, m = world
    assert m.k_ == 3 and m.params_["k"] == 3
    ks = m.k_search_["log_likelihood"]
    assert list(ks.index) == [1, 2, 3, 4]  # searched upward, stopped when k = 4 did worse
    assert ks[3] == m.log_likelihood_ and ks[3] > ks[2] > ks[1] and ks[4] < ks[3]
    se = m.standard_errors_
    for p in ("r", "alpha", "a", "b"):  # within 3.5 standard errors of the truth
        assert abs(m.params_[p] - TRUE[p]) < 3.5 * se[p], p
    assert np.isnan(se["k"])
    out = m.summary()
    assert list(out.index) == ["k", "r", "alpha", "a", "b"] and out.attrs["log_likelihood"] == m.log_likelihood_


def test_conditional_expectation_matches_simulated_holdout(world):
    key, f, _ = world
    m = clv.from_params(key, TRUE, time_unit="W")
    pred = m.conditional_expected_purchases(39, f)
    act = f["frequency_holdout"]
    g = np.minimum(f["frequency"], 5)
    for grp, sel in pd.Series(g).groupby(g).groups.items():
        se = act[sel].std() / np.sqrt(len(sel))
        assert abs(pred[sel].mean() - act[sel].mean()) < 4 * se, grp
    # the same through holdout_report (per-customer durations)
    rep = clv.holdout_report({key: m}, f)
    assert rep.loc[key, "MAE"] == pytest.approx(np.mean(np.abs(pred - act)), rel=1e-12)


def test_pmf_sums_to_one_and_matches_expectation(world):
    key, f, m = world
    n = np.arange(0, 200)
    p = m.pmf(n, 39.0)
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-10)
    assert (n * p).sum() == pytest.approx(m.expected_purchases(39.0), rel=1e-9)
    # a new customer's mean purchases in 39 weeks, simulated from the fitted parameters
    theta = {k_: float(v) for k_, v in m.params_.items()}
    new = simulate(40_000, shift=int(key == "mbgcnbdk"), t_cal=1e-9, t_star=39, seed=11, **{**theta, "k": 3})
    h = new["frequency_holdout"]
    assert abs(h.mean() - m.expected_purchases(39.0)) < 4 * h.std() / np.sqrt(len(h))


def test_intervals_clv_and_tables(world):
    key, f, m = world
    sub = f.head(200)
    pa = m.p_alive(sub, interval=True)
    assert ((pa["lower"] <= pa["p_alive"]) & (pa["p_alive"] <= pa["upper"])).all()
    ce = m.conditional_expected_purchases(10, sub, interval=True)
    assert ((ce["lower"] < ce["expected_purchases"]) & (ce["expected_purchases"] < ce["upper"])).all()
    v = m.clv(2.0, 10, 0.0, sub, rate_unit="Y")
    # undiscounted value over 10 periods = spend x expected purchases in those 10 periods
    np.testing.assert_allclose(v, 2.0 * m.conditional_expected_purchases(10, sub), rtol=1e-9)
    tab = clv.fit_table({"sim": m})
    assert tab.loc["sim", "k"] == 3 and tab.loc["sim", "log_likelihood"] == m.log_likelihood_


def test_search_never_worse_than_fixing_its_k():
    # almost nobody drops out (p ~ Beta(0.05, 5000)): flat dropout ridges, where a warm start
    # alone can end on the a, b -> inf edge below the interior maximum
    f = simulate(5_000, k=4, r=3.0, alpha=12.0, a=0.05, b=5000.0, shift=0, t_cal=52, t_star=10, seed=5)
    searched = clv.fit("bgcnbdk", f)
    fixed = clv.fit("bgcnbdk", f, k=searched.k_)
    assert searched.k_ == 4
    assert searched.log_likelihood_ >= fixed.log_likelihood_ - 1e-6 * abs(fixed.log_likelihood_)
    assert searched.p_alive(f.head(50)).between(0, 1).all()


def test_boundary_as_bgnbd_on_office():
    # office: the BG/NBD maximum is the a, b -> inf limit (common dropout p); BG/CNBD-k with k = 1
    # is the same model and must return the same limit, not a convergence error
    s = with_litt("office")
    m = clv.fit("bgcnbdk", s, k=1)
    ref = clv.fit("bgnbd", s)
    assert np.isinf(m.params_["a"]) and np.isinf(m.params_["b"]) and m.convergence_.boundary == "a, b → ∞"
    assert m.dropout_p_ == pytest.approx(ref.dropout_p_, rel=1e-5)
    assert m.log_likelihood_ == pytest.approx(ref.log_likelihood_, rel=1e-9)
    # the two optimisers stop at slightly different points of a flat maximum (LL equal to 1e-9):
    # predictions agree to 1e-4 there, and exactly at the same limit parameters (r, alpha, p)
    np.testing.assert_allclose(m.conditional_expected_purchases(8.0), ref.conditional_expected_purchases(8.0),
                               rtol=1e-4)
    assert len(m._theta) == len(ref._theta) == 3
    m._theta = ref._theta.copy()
    np.testing.assert_allclose(m.conditional_expected_purchases(8.0), ref.conditional_expected_purchases(8.0),
                               rtol=1e-10)
    np.testing.assert_allclose(m.p_alive(), ref.p_alive(), rtol=1e-12)
    np.testing.assert_allclose(m.pmf(np.arange(5), 8.0), ref.pmf(np.arange(5), 8.0), rtol=1e-10)
    # BTYDplus's approximation at k = 1 is the BG/NBD expression, here at its a, b -> inf limit
    np.testing.assert_allclose(m.conditional_expected_purchases(8.0, method="btydplus"),
                               ref.conditional_expected_purchases(8.0), rtol=1e-10)
    assert "a, b → ∞" in m.note_
    assert list(m.summary().index) == ["k", "r", "alpha", "a", "b"]


def test_bad_input():
    f = simulate(500, shift=0, t_cal=52, t_star=10, seed=1, **TRUE)
    with pytest.raises(DataError, match="regularity=True"):
        clv.fit("bgcnbdk", f.drop(columns="litt"))
    with pytest.raises(ParameterError, match="whole number >= 1"):
        clv.fit("mbgcnbdk", f, k=0)
    with pytest.raises(ParameterError, match="whole number >= 1"):
        clv.fit("mbgcnbdk", f, k=2.5)
    bad = f.copy()
    bad.loc[bad.index[0], "litt"] = np.nan
    with pytest.raises(ModelError, match="litt"):
        clv.fit("bgcnbdk", bad)
    with pytest.raises(ParameterError, match="must name k"):
        clv.from_params("bgcnbdk", {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, time_unit="W")


# -- BTYDplus's approximate conditional expectation (method="btydplus") -------------------------
def _cohort(n, seed=2):
    """n customers of the simulated world with T on a daily grid (few distinct ages, as in a
    summary of a real log) and a common holdout of 10 weeks."""
    f = simulate(n, shift=0, t_cal=52, t_star=10, seed=seed, **TRUE)
    T = np.round(f["T"] * 7) / 7
    f["recency"] = np.minimum(f["recency"], T)
    f["T"] = T
    return f


@pytest.mark.parametrize("key, nbd", [("bgcnbdk", "bgnbd"), ("mbgcnbdk", "mbgnbd")])
def test_btydplus_method_is_the_scaled_bgnbd_expression_with_a_cohort_bias_correction(key, nbd):
    """BTYDplus 1.1.4, R/mbg-cnbd-k.R, xbgcnbd.ConditionalExpectedTransactions: the BG/NBD
    (MBG/NBD) expression with alpha scaled by k times the CNBD-k P(alive); with k > 1 and at
    least 100 customers, one factor that makes the cohort total the exact E[X(T+t)] - E[X(T)]."""
    m = clv.from_params(key, TRUE, time_unit="W")
    k = TRUE["k"]
    nb = clv.from_params(nbd, {"r": TRUE["r"], "alpha": k * TRUE["alpha"], "a": TRUE["a"], "b": TRUE["b"]},
                         time_unit="W")
    small = _cohort(99)  # fewer than 100 customers: no bias correction
    raw = nb.conditional_expected_purchases(10, small) / nb.p_alive(small) * m.p_alive(small)
    got = m.conditional_expected_purchases(10, small, method="btydplus")
    np.testing.assert_allclose(got, raw, rtol=1e-12)
    assert not np.allclose(got, m.conditional_expected_purchases(10, small), rtol=1e-3)  # not the exact sum

    big = _cohort(400)
    raw = nb.conditional_expected_purchases(10, big) / nb.p_alive(big) * m.p_alive(big)
    got = m.conditional_expected_purchases(10, big, method="btydplus")
    factor = got / raw
    assert np.ptp(factor) < 1e-12 * factor.mean() and abs(factor.iloc[0] - 1) > 1e-5  # one factor, not 1
    cohort = (m.expected_purchases(big["T"] + 10) - m.expected_purchases(big["T"])).sum()
    assert got.sum() == pytest.approx(cohort, rel=1e-12)
    # a customer's prediction depends on the cohort passed; weights (crmlab.compress) count customers
    twice = pd.concat([big, big.head(150)])
    weighted = big.assign(weights=np.r_[np.full(150, 2.0), np.ones(250)])
    np.testing.assert_allclose(m.conditional_expected_purchases(10, weighted, method="btydplus"),
                               m.conditional_expected_purchases(10, twice, method="btydplus").iloc[:400],
                               rtol=1e-12)
    # the same through holdout_report (per-customer holdout durations)
    rep = clv.holdout_report({key: m}, big, method="btydplus")
    assert rep.loc[key, "MAE"] == pytest.approx(np.mean(np.abs(got - big["frequency_holdout"])), rel=1e-12)


def test_btydplus_method_interval(world):
    key, f, m = world
    cohort = _cohort(150)
    point = m.conditional_expected_purchases(10, cohort, method="btydplus")
    ci = m.conditional_expected_purchases(10, cohort, interval=True, method="btydplus")
    np.testing.assert_allclose(ci["expected_purchases"], point, rtol=1e-12)
    assert ((ci["lower"] < ci["expected_purchases"]) & (ci["expected_purchases"] < ci["upper"])).all()


def test_btydplus_method_moves_a_off_one_and_is_the_closed_form_at_k1():
    """a = 1 makes (a+b+x-1)/(a-1) infinite: BTYDplus uses a + 0.01 in the BG/NBD expression
    (not in P(alive)). At k = 1 the approximation is the BG/NBD closed form, uncorrected."""
    f = _cohort(50)
    m = clv.from_params("bgcnbdk", {**TRUE, "a": 1.0}, time_unit="W")
    nb = clv.from_params("bgnbd", {"r": 1.5, "alpha": 18.0, "a": 1.01, "b": 4.0}, time_unit="W")
    got = m.conditional_expected_purchases(10, f, method="btydplus")
    np.testing.assert_allclose(got, nb.conditional_expected_purchases(10, f) / nb.p_alive(f) * m.p_alive(f),
                               rtol=1e-12)
    big = _cohort(300)
    m1 = clv.from_params("mbgcnbdk", {**TRUE, "k": 1}, time_unit="W")
    np.testing.assert_allclose(m1.conditional_expected_purchases(10, big, method="btydplus"),
                               m1.conditional_expected_purchases(10, big), rtol=1e-9)


def test_method_is_checked():
    f = _cohort(120)
    m = clv.from_params("bgcnbdk", TRUE, time_unit="W")
    with pytest.raises(ParameterError, match=r"method='btyd' is not available; use one of \['exact', 'btydplus'\]"):
        m.conditional_expected_purchases(10, f, method="btyd")
    nbd = clv.from_params("bgnbd", {"r": 1.5, "alpha": 6.0, "a": 0.8, "b": 4.0}, time_unit="W")
    for call in (lambda: clv.holdout_report({"cnbd": m, "nbd": nbd}, f, method="btydplus"),
                 lambda: clv.conditional_by_frequency(nbd, f, method="btydplus"),
                 lambda: nbd.conditional_expected_purchases(10, f, method="btydplus")):
        with pytest.raises(ParameterError, match=r"BG/NBD: method='btydplus' is not available.*k=1"):
            call()
    assert clv.holdout_report({"nbd": nbd}, f, method="exact").shape[0] == 1
    bgbb = clv.from_params("bgbb", {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78})
    with pytest.raises(ParameterError, match=r"BG/BB: method='btydplus' is not available"):
        bgbb.conditional_expected_purchases(2, method="btydplus")


# -- Reutterer, Platzer & Schröder (2021): mplatzer/paper-bgcnbdk -------------------------------
# results/emp-param-stats.csv (MLE k and LL rounded to units, per model) and results/emp-stats.csv
# (LL, holdout MAE and aggregate bias, full precision). The repository names the logs cdnow,
# online_grocery, m18, dmef_contest (donations), office-draws and dietary-draws. R/empirical.R
# (bench_mle) computes the holdout predictions of all four models with BTYDplus 1.1.4's
# (m)bgcnbd.ConditionalExpectedTransactions, the BG/NBD ones as CNBD-k fits with k = 1.
PAPER = {  # log: {model: (k, LL, MAE, BIAS)} from emp-stats.csv; k from emp-param-stats.csv
    "cdnow": {"bgcnbdk": (1, -9582.4292067873, 0.785453879387685, -0.121470756442232),
              "mbgcnbdk": (1, -9582.13571558839, 0.764777677725775, -0.162214694205408)},
    "grocery": {"bgcnbdk": (2, -15054.1729044916, 1.47484583349983, 0.132812678302153),
                "mbgcnbdk": (2, -14978.2107316284, 1.43288225417419, 0.174243049483953)},
    "m18": {"bgcnbdk": (1, -5284.61341715317, 0.440270480552388, 0.0841256683945605),
            "mbgcnbdk": (1, -5285.78174730747, 0.433656968298002, 0.056525617891756)},
    "donations": {"bgcnbdk": (2, -144713.167762567, 0.333675127139985, 0.0668811681754263),
                  "mbgcnbdk": (2, -144540.941684095, 0.313707432484456, 0.0300220396266561)},
    "office": {"bgcnbdk": (2, -2898.23571151501, 0.293871468301991, 0.00789097063059865),
               "mbgcnbdk": (2, -2898.80500170767, 0.288224092606545, -0.0340739215080059)},
}
#: emp-stats.csv, MAE of the k = 1 models on the same logs
PAPER_NBD_MAE = {"grocery": (1.57889636400274, 1.51479767652795),
                 "donations": (0.359823192688612, 0.358513675085018),
                 "office": (0.308338100644589, 0.308368081821637)}


@pytest.fixture(scope="module")
def paper_fits():
    out = {}
    for name in PAPER:
        s = with_litt(name)
        out[name] = (s, {key: clv.fit(key, s) for key in ("bgcnbdk", "mbgcnbdk")})
    return out


@pytest.mark.parametrize("name", sorted(PAPER))
def test_reproduces_paper_k_log_likelihood_and_holdout_accuracy(paper_fits, name):
    s, fits = paper_fits[name]
    for key, (k, ll, mae, bias) in PAPER[name].items():
        m = fits[key]
        assert m.k_ == k, key
        # the same maximum; on office every model, the k = 1 ones included (BG/NBD -2954.2450 vs
        # -2954.2371, MBG/NBD -2954.3639 vs -2954.3561), is 0.008 below the paper: that log
        # differs slightly from the study's, while the other four agree to 1e-5
        assert m.log_likelihood_ == pytest.approx(ll, abs=1e-2 if name == "office" else 1e-5), key
        # the paper's predictions: BTYDplus's approximation with its cohort bias correction. MAE
        # to 2e-5 (office 5e-5) and aggregate bias to 5e-5: the paper gives its parameters to two
        # decimals only, and the two optimisers stop at slightly different points of the flat
        # maximum, which moves the MAE by up to 1e-5 even where k = 1 and the prediction is the
        # BG/NBD closed form (m18: 8.9e-6 and 1.0e-5); the approximation itself is checked to
        # 1e-12 in test_btydplus_method_is_the_scaled_bgnbd_expression_with_a_cohort_bias_correction
        rep = clv.holdout_report({key: m}, s, method="btydplus").loc[key]
        assert rep["MAE"] == pytest.approx(mae, rel=5e-5 if name == "office" else 2e-5), key
        assert rep["aggregate bias"] == pytest.approx(bias, abs=5e-5), key
        exact = clv.holdout_report({key: m}, s).loc[key, "MAE"]  # crmlab's default
        if k == 1:  # the approximation is the BG/NBD closed form, which the exact sum equals
            assert exact == pytest.approx(rep["MAE"], rel=1e-9), key
        else:
            # the exact sum (checked against simulation in
            # test_conditional_expectation_matches_simulated_holdout) differs from the
            # approximation by 0.5-3% here, and the paper's finding holds with it too:
            # regularity lowers the MAE below the k = 1 model's
            assert exact == pytest.approx(mae, rel=0.035) and abs(exact / mae - 1) > 1e-3, key
            bg_mae, mbg_mae = PAPER_NBD_MAE[name]
            assert max(exact, rep["MAE"]) < (bg_mae if key == "bgcnbdk" else mbg_mae), key


def test_dietary_matches_the_parameter_file_not_the_stats_file():
    """dietary's two result files disagree: emp-param-stats.csv gives BG/NBD LL -1666 and
    BG/CNBD-k (k = 2, r = 0.16, alpha = 2.25, a = 2.38, b = 3.25) LL -1660, MBG/CNBD-k (k = 2,
    r = 0.63, alpha = 3.78, a = 1.71, b = 1.12) LL -1660; emp-stats.csv gives LL -1911.86 and
    -1910.98 for BG/NBD and BG/CNBD-k. The log in data/benchmarks reproduces the first."""
    s = with_litt("dietary")
    bg = clv.fit("bgcnbdk", s)
    mbg = clv.fit("mbgcnbdk", s)
    assert bg.k_ == 2 and mbg.k_ == 2
    assert round(bg.log_likelihood_) == -1660 and round(mbg.log_likelihood_) == -1660
    np.testing.assert_allclose(bg.params_[["r", "alpha", "a", "b"]], [0.16, 2.25, 2.38, 3.25], atol=0.006)
    np.testing.assert_allclose(mbg.params_[["r", "alpha", "a", "b"]], [0.63, 3.78, 1.71, 1.12], atol=0.006)
    assert round(clv.fit("bgnbd", s).log_likelihood_) == -1666
    assert abs(bg.log_likelihood_ - (-1910.97603573071)) > 200


def test_validation_tools_and_figures_take_cnbdk():
    from crmlab.clv import plots

    s = with_litt("grocery")
    m = clv.fit("mbgcnbdk", s)
    nbd = clv.fit("mbgnbd", s)
    tx = load_benchmark("grocery")
    track = clv.tracking(m, tx, s)
    col = "predicted (cumulative)"
    # the expected repeat purchases of the calibration period come from pmf-free sums; they are
    # close to MBG/NBD's (both fitted to the same counts) and to what happened
    cal = int(track.attrs["calibration_end_period"])
    actual = track["actual (cumulative)"].iloc[cal - 1]
    assert abs(track[col].iloc[cal - 1] - actual) < 0.05 * actual
    assert abs(track[col].iloc[cal - 1] - clv.tracking(nbd, tx, s)[col].iloc[cal - 1]) < 0.05 * actual
    chi = clv.chi2_frequency(m, s)
    assert chi["expected"].sum() == pytest.approx(len(s), rel=1e-6)
    by = clv.conditional_by_frequency(m, s)
    assert by["customers"].sum() == len(s)
    fig = plots.plot_p_alive_matrix(m, T=52, lang="en")
    assert fig.crmlab_caption
    plots.plot_expected_matrix(m, t=52, T=52, lang="zh")
