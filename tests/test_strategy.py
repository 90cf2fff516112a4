"""crmlab.strategy: reference computations, published numbers, hand-computed examples, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import crmlab.strategy as S
from crmlab.datasets.experiment import simulate_campaign
from crmlab.errors import CrmlabError, DataError, ParameterError


@pytest.fixture(scope="module")
def campaign():
    return simulate_campaign(4000, seed=11)


def _two_arm(x1, n1, x0, n0):
    return pd.DataFrame({"t": [1] * n1 + [0] * n0,
                         "y": [1] * x1 + [0] * (n1 - x1) + [1] * x0 + [0] * (n0 - x0)})


# ---------------------------------------------------------------- campaign tests
def test_ztest_matches_statsmodels_directly(campaign):
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    res = S.ab_test(campaign, treatment="treatment", outcome="response", kind="proportion", lang="en")
    t, y = campaign["treatment"], campaign["response"]
    x = [int(y[t == 1].sum()), int(y[t == 0].sum())]
    n = [int((t == 1).sum()), int((t == 0).sum())]
    z, p = proportions_ztest(x, n)
    lo, hi = confint_proportions_2indep(x[0], n[0], x[1], n[1], method="wald", compare="diff")
    row = res.iloc[0]
    assert row.p_value == pytest.approx(p, rel=1e-10)
    assert row.effect == pytest.approx(x[0] / n[0] - x[1] / n[1], rel=1e-12)
    assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), rel=1e-10)
    # the chi-square test without continuity correction is the same test: X² = z²
    chi = stats.chi2_contingency([[x[0], n[0] - x[0]], [x[1], n[1] - x[1]]], correction=False)
    assert chi.statistic == pytest.approx(z * z, rel=1e-10)
    assert res.iloc[1].p_value == pytest.approx(p, rel=1e-8)
    assert (res.n_treatment.iloc[0], res.n_control.iloc[0]) == (n[0], n[1])


def test_textbook_physicians_health_study():
    # Agresti, An Introduction to Categorical Data Analysis (2nd ed., 2007), Physicians' Health
    # Study: MI in 189/11034 on placebo and 104/11037 on aspirin. Published: difference of
    # proportions 0.0077 with 95% CI (0.005, 0.011); Pearson X² = 25.01.
    res = S.ab_test(_two_arm(189, 11034, 104, 11037), treatment="t", outcome="y", lang="en")
    row = res.iloc[0]
    assert round(row.effect, 4) == 0.0077
    assert (round(row.ci_low, 3), round(row.ci_high, 3)) == (0.005, 0.011)
    z = stats.norm.isf(res.iloc[1].p_value / 2)
    assert round(z * z, 2) == 25.01
    assert row.significant and row.verdict.startswith("Significant")


def test_welch_and_mann_whitney_match_scipy_and_statsmodels(campaign):
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    res = S.ab_test(campaign, treatment="treatment", outcome="spend", kind="mean", lang="zh")
    y1 = campaign.spend[campaign.treatment == 1].to_numpy()
    y0 = campaign.spend[campaign.treatment == 0].to_numpy()
    cm = CompareMeans(DescrStatsW(y1), DescrStatsW(y0))
    lo, hi = cm.tconfint_diff(usevar="unequal")
    _, p, _ = cm.ttest_ind(usevar="unequal")
    welch = res.iloc[0]
    assert welch.p_value == pytest.approx(p, rel=1e-8)
    assert (welch.ci_low, welch.ci_high) == pytest.approx((lo, hi), rel=1e-8)
    mw = stats.mannwhitneyu(y1, y0, alternative="two-sided")
    assert res.iloc[1].p_value == pytest.approx(mw.pvalue, rel=1e-10)
    assert res.iloc[1].effect == pytest.approx(mw.statistic / (len(y1) * len(y0)))
    assert res.iloc[1].ci_low < res.iloc[1].effect < res.iloc[1].ci_high
    assert "处理组" in welch.verdict or "没有证据" in welch.verdict


def test_clv_bootstrap_is_seeded_and_brackets_the_difference(campaign):
    a = S.ab_test(campaign, treatment="treatment", outcome="clv_post", kind="clv", seed=3, n_boot=500)
    b = S.ab_test(campaign, treatment="treatment", outcome="clv_post", kind="clv", seed=3, n_boot=500)
    pd.testing.assert_frame_equal(a, b)
    row = a.iloc[0]
    assert row.ci_low < row.effect < row.ci_high
    # the percentile interval is close to the normal-theory Welch interval for a mean
    w = S.ab_test(campaign, treatment="treatment", outcome="clv_post", kind="mean").iloc[0]
    width, wwidth = row.ci_high - row.ci_low, w.ci_high - w.ci_low
    assert abs(width / wwidth - 1) < 0.2


def test_power_matches_cohen_tables():
    # Cohen (1992), "A power primer", Psychological Bulletin 112(1), Table 2: n per group for
    # alpha = .05 (two-sided), power = .80. Mean difference (d = .2/.5/.8): 393, 64, 26;
    # difference between proportions (h = .2/.5/.8): 392, 63, 25. Cohen's tables round the
    # exact solution to the nearest integer.
    for d, n in ((0.2, 393), (0.5, 64), (0.8, 26)):
        assert round(S.sample_size(d, kind="mean").n_control_exact.iloc[0]) == n
    for h, n in ((0.2, 392), (0.5, 63), (0.8, 25)):
        p0 = 0.3
        p1 = np.sin(np.arcsin(np.sqrt(p0)) + h / 2) ** 2  # Cohen's h = 2 asin√p1 − 2 asin√p0
        res = S.sample_size(p1 - p0, kind="proportion", baseline=p0)
        assert res.effect_size.iloc[0] == pytest.approx(h)
        assert round(res.n_control_exact.iloc[0]) == n
    # power at the planned n is at least the target, and a raw difference with sd works
    assert S.achieved_power(5, 64, kind="mean", sd=10) >= 0.8
    assert S.sample_size(5, kind="mean", sd=10).n_control.iloc[0] == 64


# ---------------------------------------------------------------- Markov CLV
def test_markov_clv_hand_computed_three_state_example():
    # States: A = bought this period (reward 40), B = bought last period (mailing cost −10),
    # C = lost (absorbing, 0). d = 0.25 so 1/(1+d) = 0.8. By hand:
    #   V_B = −10 + 0.8·0.3·V_A = −10 + 0.24 V_A
    #   V_A = 40 + 0.8(0.6 V_A + 0.4 V_B) = 36.8 + 0.5568 V_A  ⇒  V_A = 36.8 / 0.4432
    P = [[0.6, 0.4, 0.0], [0.3, 0.0, 0.7], [0.0, 0.0, 1.0]]
    V = S.markov_clv(P, [40, -10, 0], 0.25)
    va = 36.8 / 0.4432
    np.testing.assert_allclose(V, [va, -10 + 0.24 * va, 0.0], rtol=1e-12)
    # finite horizons: one period = the reward; a long horizon converges to the infinite one
    np.testing.assert_allclose(S.markov_clv(P, [40, -10, 0], 0.25, horizon=1), [40, -10, 0])
    np.testing.assert_allclose(S.markov_clv(P, [40, -10, 0], 0.25, horizon=400), V, rtol=1e-10)
    two = 40 + 0.8 * (0.6 * 40 + 0.4 * -10)
    assert S.markov_clv(P, [40, -10, 0], 0.25, horizon=2)[0] == pytest.approx(two)


def test_markov_clv_closed_form_retention_model():
    # Two states (active, lost): V_active = m (1 + d) / (1 + d − r) (Gupta & Lehmann 2003).
    m, r, d = 100.0, 0.8, 0.1
    V = S.markov_clv(pd.DataFrame([[r, 1 - r], [0, 1]], index=["a", "l"], columns=["a", "l"]),
                     [m, 0], d)
    assert V["a"] == pytest.approx(m * (1 + d) / (1 + d - r))
    assert S.retention_clv(m, r, d) == pytest.approx(V["a"])


def test_recency_states_and_transitions_from_a_log():
    log = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b"],
        "date": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-04-01", "2024-01-20", "2024-05-02"]),
        "amount": [10.0, 20.0, 30.0, 5.0, 7.0],
    })
    st = S.recency_states(log, period="M", n_states=3)
    a = st[st.customer_id == "a"].state.tolist()
    b = st[st.customer_id == "b"].state.tolist()
    assert a == [0, 0, 1, 0, 1]  # Jan, Feb bought; Mar 1 ago; Apr bought; May 1 ago
    assert b == [0, 1, 2, 2, 0]  # 2 = "2 or more periods ago"
    P = S.estimate_transitions(st)
    # transitions: a 0→0, 0→1, 1→0, 0→1; b 0→1, 1→2, 2→2, 2→0
    np.testing.assert_allclose(P.loc[0].to_numpy(), [1 / 4, 3 / 4, 0])
    np.testing.assert_allclose(P.loc[1].to_numpy(), [1 / 2, 0, 1 / 2])
    np.testing.assert_allclose(P.loc[2].to_numpy(), [1 / 2, 0, 1 / 2])
    R = S.state_rewards(st, margin=0.5, cost=1.0)
    assert R[0] == pytest.approx(0.5 * np.mean([10, 20, 30, 5, 7]) - 1)
    assert R[2] == 0.0
    out = S.migration_scenario(P, R, 0.1, {"win-back": [(2, 0, 0.2)]}, weights=[1, 1, 1])
    assert out.loc[2, "win-back"] > out.loc[2, "baseline"]
    assert out.loc["equity", "win-back"] > out.loc["equity", "baseline"]


def test_shift_transition_keeps_a_stochastic_matrix():
    P = pd.DataFrame([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0, 0, 1.0]], index=[0, 1, 2], columns=[0, 1, 2])
    Q = S.shift_transition(P, 1, 0, 0.1)
    np.testing.assert_allclose(Q.sum(axis=1), 1.0)
    assert Q.loc[1, 0] == pytest.approx(0.3)
    with pytest.raises(ParameterError, match="must lie in"):
        S.shift_transition(P, 1, 0, 0.9, take_from=1)


# ---------------------------------------------------------------- retention economics
def test_reichheld_sasser_plus_five_points():
    # margin constant, r = 0.80 → 0.85, d = 0.10: CLV ∝ 1.1/0.30 vs 1.1/0.25, i.e. +20%.
    res = S.retention_scenario(margin=100, retention=0.8, discount_rate=0.1, delta=0.05,
                               n_customers=1000, n_draws=50)
    assert res.loc["profit_increase_pct", "mean"] == pytest.approx(20.0)
    assert res.loc["equity_gain", "mean"] == pytest.approx(1000 * 100 * 1.1 * (1 / 0.25 - 1 / 0.3))
    # uncertain inputs give an interval around the point value
    unc = S.retention_scenario(margin=(100, 10), retention=(0.8, 0.02), discount_rate=0.1, n_draws=2000)
    lo, hi = unc.loc["profit_increase_pct", ["ci_low", "ci_high"]]
    assert lo < 20.0 < hi and hi - lo > 1
    # finite horizon: the sum of the first 3 discounted periods
    q = 0.8 / 1.1
    assert S.retention_clv(100, 0.8, 0.1, horizon=3) == pytest.approx(100 * (1 + q + q * q))


def test_blattberg_deighton_optimum_matches_a_continuous_optimiser():
    from scipy.optimize import minimize

    kw = dict(margin=100.0, discount_rate=0.15, acq_ceiling=0.4,
              acq_k=S.bd_calibrate(0.4, 20.0, 0.2), ret_ceiling=0.9, ret_k=S.bd_calibrate(0.9, 10.0, 0.6))
    res = S.acquisition_vs_retention(**kw, grid=241, max_acq=120, max_ret=120)
    opt = res["optimum"].iloc[0]
    best = minimize(lambda x: -S.customer_equity(x[0], x[1], **kw), x0=[30, 30], method="Nelder-Mead",
                    options={"xatol": 1e-6, "fatol": 1e-9})
    step = 120 / 240
    assert abs(opt.acq_spend - best.x[0]) <= step and abs(opt.ret_spend - best.x[1]) <= step
    assert opt.equity == pytest.approx(-best.fun, rel=1e-3)
    assert S.bd_response(20.0, 0.4, kw["acq_k"]) == pytest.approx(0.2)
    unc = S.acquisition_vs_retention(**{**kw, "margin": (100.0, 15.0)}, grid=61, max_acq=120,
                                     max_ret=120, n_draws=40)["optimum"].iloc[0]
    assert unc.equity_ci_low < unc.equity_ci_high


def test_acquisition_retention_optimum_table_is_labelled_in_both_languages():
    """Issue 7: the transposed optimum showed a bare ``0`` column in the zh report."""
    from crmlab import notebook as nb

    kw = dict(margin=(100.0, 15.0), discount_rate=0.15, acq_ceiling=0.4, acq_k=S.bd_calibrate(0.4, 20.0, 0.2),
              ret_ceiling=0.9, ret_k=S.bd_calibrate(0.9, 10.0, 0.6), grid=21, n_draws=5)
    shown = S.acquisition_vs_retention(**kw)["optimum"].T
    zh, en = nb.localise(shown, "zh"), nb.localise(shown, "en")
    assert zh.columns.tolist() == ["估计值"] and en.columns.tolist() == ["estimate"]
    assert {"获取投入", "保持投入", "客户资产", "客户资产区间下限"} <= set(zh.index)
    assert not any(isinstance(v, str) and v.isascii() for v in zh.index)


def test_ab_test_table_reads_chinese_in_zh():
    """Issue 7: outcome names and the significance flag of the campaign tests were English."""
    from crmlab import notebook as nb

    camp = simulate_campaign(400, seed=1)
    tests = pd.concat([S.ab_test(camp, treatment="treatment", outcome="response", kind="proportion", lang="zh"),
                       S.ab_test(camp, treatment="treatment", outcome="spend", kind="mean", lang="zh")],
                      ignore_index=True)
    zh = nb.localise(tests, "zh")
    assert list(dict.fromkeys(zh["结果变量"])) == ["响应", "消费额"]
    assert set(zh["显著"]) <= {"是", "否"}
    assert "response" not in tests.loc[0, "verdict"] and "响应" in tests.loc[0, "verdict"]
    en = nb.localise(tests, "en")
    assert list(dict.fromkeys(en["outcome"])) == ["response", "spend"]
    assert en["significant"].tolist() == tests["significant"].tolist()  # en keeps the booleans


def test_churn_value_by_segment():
    f = pd.DataFrame({"seg": ["a", "a", "b"], "clv": [100.0, 50.0, 10.0], "pa": [0.9, 0.5, 0.0]})
    out = S.churn_value(f, segment="seg", value="clv", p_alive="pa")
    assert out.loc["a", "churn_value"] == pytest.approx(0.1 * 100 + 0.5 * 50)
    assert out.loc["b", "churn_rate"] == pytest.approx(1.0)
    assert out.churn_value_share.sum() == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="exactly one"):
        S.churn_value(f, segment="seg", value="clv")


# ---------------------------------------------------------------- strategy tables and plan
def test_builtin_tables_cover_the_course_classes_in_both_languages():
    rfm = S.strategy_table("rfm8")
    zh = rfm.frame("zh")
    for name in ["重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户",
                 "一般价值客户", "一般发展客户", "一般保持客户", "一般挽留客户"]:
        assert name in set(zh.label)
    assert set(S.strategy_table("pyramid").frame("en").index) == {"platinum", "gold", "iron", "lead"}
    course = S.strategy_table("course_classes").frame("en")
    assert set(course.index) == {"top", "high_potential", "high_loyalty", "low_value"}
    assert (course.cost_per_customer >= 0).all() and course.actions.str.len().gt(0).all()
    shown = S.localise_columns(zh, "zh")
    assert "单客成本" in shown.columns
    # one name per segment: the label replaces the key, under the header 客户群
    assert shown.index.name == "客户群" and list(shown.index) == list(zh.label)
    assert not any(c in shown.columns for c in ("label", "名称"))


def test_yaml_override_changes_and_adds_segments(tmp_path):
    text = """
segments:
  platinum: {cost_per_customer: 999}
  diamond:
    label: {zh: 钻石客户, en: Diamond}
    objective: {zh: 保持, en: Keep}
    actions: {zh: [专人服务], en: [Personal service]}
    channel: {zh: 上门, en: Visits}
    cost_per_customer: 500
"""
    t = S.strategy_table("pyramid", overrides=text)
    f = t.frame("en")
    assert f.loc["platinum", "cost_per_customer"] == 999
    assert f.loc["platinum", "label"] == "Platinum"  # untouched fields survive
    assert f.loc["diamond", "label"] == "Diamond"
    path = tmp_path / "mine.yml"
    path.write_text(text, encoding="utf-8")
    assert S.strategy_table("pyramid", overrides=path).frame("zh").loc["diamond", "label"] == "钻石客户"
    with pytest.raises(ParameterError, match="lacks"):
        S.strategy_table({"segments": {"x": {"label": "X"}}})


def test_plan_allocates_by_value_at_stake_within_caps():
    seg = pd.DataFrame({
        "segment": ["白金客户"] * 2 + ["gold"] * 8 + ["Iron"] * 30 + ["lead"] * 60,
        "clv": [1000.0] * 2 + [300.0] * 8 + [50.0] * 30 + [5.0] * 60,
        "pa": [0.5] * 2 + [0.5] * 8 + [0.5] * 30 + [0.5] * 60,
    })
    out = S.plan(seg, "pyramid", 500.0, value="clv", p_alive="pa", segment="segment", lang="en")
    assert out.allocation.sum() == pytest.approx(500.0)
    assert (out.allocation <= out.full_cost + 1e-9).all()
    # platinum's full cost (2 × 300 = 600) is above its proportional share, so shares are
    # proportional to value at stake for the uncapped segments
    stake = out.value_at_stake
    assert out.loc["platinum", "allocation"] / out.loc["gold", "allocation"] == pytest.approx(
        stake["platinum"] / stake["gold"])
    # a budget above the total cost funds everything and reports the rest as unspent
    rich = S.plan(seg, "pyramid", 10_000.0, value="clv", segment="segment")
    assert (rich.coverage == 1).all() and rich.attrs["unspent"] == pytest.approx(10_000 - rich.full_cost.sum())
    pri = S.plan(seg, "pyramid", 700.0, rule="priority", segment="segment")
    assert pri.loc["platinum", "allocation"] == 600 and pri.loc["gold", "allocation"] == 100
    eq = S.plan(seg, "pyramid", 40.0, rule="equal", segment="segment")
    assert eq.allocation.tolist() == pytest.approx([10.0] * 4)


def test_plan_funds_equal_priorities_together_and_ignores_row_order():
    # rfm8: important_retention (60 per customer) and important_winback (80) share priority 2
    seg = pd.DataFrame({"segment": ["important_value"] * 2 + ["important_winback"] * 5
                        + ["important_retention"] * 10 + ["general_value"] * 4,
                        "clv": np.arange(21.0), "pa": np.linspace(0.1, 0.9, 21)})
    out = S.plan(seg, "rfm8", 200 + 500, rule="priority", lang="en")
    # 200 funds important_value; the 500 left is shared by the tie at equal coverage
    # (full costs 400 + 600 = 1000, so half of each), nothing for priority 4
    assert out.loc["important_value", "allocation"] == 200
    assert out.loc["important_winback", "allocation"] == pytest.approx(200)
    assert out.loc["important_retention", "allocation"] == pytest.approx(300)
    assert out.loc["general_value", "allocation"] == 0
    for rule in ("priority", "value_at_stake", "size", "equal"):
        a = S.plan(seg, "rfm8", 700, rule=rule, value="clv", p_alive="pa")
        for perm in (1, 2):
            b = S.plan(seg.sample(frac=1, random_state=perm), "rfm8", 700, rule=rule, value="clv",
                       p_alive="pa")
            pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------- errors a user can meet
def test_clear_errors_for_bad_input(campaign):
    f = campaign.copy()
    f["all_treated"] = 1
    with pytest.raises(DataError, match="do not overlap"):
        S.ab_test(f, treatment="all_treated", outcome="response")
    f["arm"] = np.where(f.treatment == 1, "test", "control")
    f["three"] = f.index % 3
    for col in ("arm", "three"):
        with pytest.raises(DataError, match="must be binary"):
            S.ab_test(f, treatment=col, outcome="response")
    f["sep"] = f.treatment * 100 + f.age  # treated and control live on disjoint ranges
    with pytest.raises(DataError, match="'sep'.*do not overlap"):
        S.uplift(f, treatment="treatment", outcome="response", features=["recency", "sep"])
    with pytest.raises(ParameterError, match=r"\[0, 1\]; entry \[1, 2\] is -0.1"):
        S.markov_clv([[0.5, 0.5, 0], [0.2, 0.9, -0.1], [0, 1.2, -0.2]], [1, 0, 0], 0.1)
    with pytest.raises(ParameterError, match="sum to 1"):
        S.markov_clv([[0.5, 0.4], [0, 1]], [1, 0], 0.1)
    seg = pd.DataFrame({"segment": ["gold", "lead", "mystery", "unknown"], "v": [1.0, 2, 3, 4]})
    with pytest.raises(ParameterError, match="budget"):
        S.plan(seg, "pyramid", -1.0, value="v")
    with pytest.raises(DataError, match="'mystery', 'unknown'"):
        S.plan(seg, "pyramid", 100.0, value="v")
    with pytest.raises(DataError, match="'nope'"):
        S.ab_test(f, treatment="treatment", outcome="nope")
    with pytest.raises(ParameterError, match="kind="):
        S.ab_test(f, treatment="treatment", outcome="response", kind="median")
    with pytest.raises(DataError, match="binary"):
        S.ab_test(f, treatment="treatment", outcome="spend", kind="proportion")
    with pytest.raises(CrmlabError):
        S.policy_profit(f, score="clv", margin=1.0)


# ---------------------------------------------------------------- ties and row order (issue 18.1)
def _rfm_like(n, seed):
    """A campaign scored by an RFM-like sum of three 1-5 scores: a few values, heavily tied."""
    rng = np.random.default_rng(seed)
    d = simulate_campaign(n, seed=seed)
    d["rfm"] = rng.integers(1, 6, size=(n, 3)).sum(axis=1)
    return d


@settings(max_examples=25, deadline=None)
@given(n=st.integers(40, 400), seed=st.integers(0, 10_000), perm=st.integers(0, 10_000))
def test_policy_and_qini_do_not_depend_on_row_order_with_tied_scores(n, seed, perm):
    d = _rfm_like(n, seed)
    shuffled = d.sample(frac=1, random_state=perm)
    kw = dict(score="rfm", margin=30, contact_cost=0.5, offer_cost=3, n_boot=20, seed=1)
    for mode in (dict(treatment="treatment", outcome="response"),
                 dict(uplift="true_uplift", response="p_treated")):
        if "treatment" in mode and min(d.treatment.sum(), n - d.treatment.sum()) < 2:
            continue
        a, b = (S.policy_profit(x, **kw, **mode) for x in (d, shuffled))
        pd.testing.assert_frame_equal(a.curve, b.curve)
        pd.testing.assert_series_equal(a.best, b.best)
        # a tie group is contacted as one unit: everyone whose score is at least the threshold
        assert (a.curve.n_targeted == [(d.rfm >= t).sum() for t in a.curve.threshold]).all()
    if min(d.treatment.sum(), n - d.treatment.sum()) >= 2:
        qa, qb = (S.qini(x, score="rfm", treatment="treatment", outcome="response") for x in (d, shuffled))
        pd.testing.assert_frame_equal(qa.by_decile, qb.by_decile)
        pd.testing.assert_frame_equal(qa.curve, qb.curve)
        assert qa.qini_area == qb.qini_area
        # no tie group is split between two bins
        ranks = pd.Series(-d.rfm.to_numpy()).rank(method="average")
        bins = np.floor(ranks - 1).astype(int) * 10 // n + 1
        assert pd.Series(bins).groupby(d.rfm.to_numpy()).nunique().max() == 1
        assert qa.by_decile.n.sum() == n


def test_ties_at_the_cut_are_contacted_together_by_hand():
    # scores 3, 2, 2, 2, 1: asking for 40% (2 customers) contacts the whole tie group at 2
    f = pd.DataFrame({"s": [2, 3, 2, 1, 2], "u": [0.1, 0.5, 0.3, 0.0, 0.2]})
    res = S.policy_profit(f, score="s", margin=10, contact_cost=1, uplift="u",
                          fractions=[0.2, 0.4, 1.0], n_boot=0)
    assert res.curve.n_targeted.tolist() == [1, 4, 5]
    assert res.curve.threshold.tolist() == [3, 2, 1]
    np.testing.assert_allclose(res.curve.profit, [10 * 0.5 - 1, 10 * 1.1 - 4, 10 * 1.1 - 5])
    np.testing.assert_allclose(res.curve.lift, res.curve.gain / (res.curve.n_targeted / 5))


# ---------------------------------------------------------------- Case 3-1 and figures
def test_reallocation_case_by_hand_and_with_uncertainty():
    f = pd.DataFrame({"m": [100.0, 10.0, 10.0, 10.0, 80.0], "score": [5, 1, 2, 3, 4.5],
                      "lost": [0, 0, 0, 0, 1]})
    res = S.reallocation_case(f, margin="m", score="score", retention=0.5, lost="lost", top_share=0.25,
                              cost_before=5, cost_premium=20, cost_standard=2, cost_winback=10,
                              gain_premium=0.1, loss_standard=0.0, winback_success=0.5, horizon=2,
                              n_sims=200, lang="en")
    # before: active customers only, S(0.5) = 1.5 periods
    before = (95 + 5 + 5 + 5) * 1.5
    # after: top (score 5) premium with S(0.6) = 1.6; rest standard; lost key won back at 50%
    after = 80 * 1.6 + 3 * 8 * 1.5 + (0.5 * 60 * 1.6 - 10)
    est = res.summary["estimate"].to_numpy()
    assert est[0] == pytest.approx(before) and est[1] == pytest.approx(after)
    assert res.summary.iloc[2].ci_low < res.summary.iloc[2].estimate < res.summary.iloc[2].ci_high
    assert res.groups["n"].tolist() == [1, 1, 3, 0]
    assert 0 <= res.prob_improvement <= 1


def test_composite_score_prefers_high_sales_and_low_receivables():
    f = pd.DataFrame({"sales": [1, 2, 3], "debt": [3, 2, 1]})
    s = S.composite_score(f, {"sales": 1, "debt": -1})
    assert s.idxmax() == 2 and s.idxmin() == 0


def test_figures_plot_the_results_they_are_given(campaign):
    import matplotlib.pyplot as plt
    from numpy.testing import assert_allclose

    tests = S.ab_test(campaign, treatment="treatment", outcome="response")
    q = S.qini(campaign, score="true_uplift", treatment="treatment", outcome="response")
    pol = S.policy_profit(campaign, score="clv", margin=30, contact_cost=1, treatment="treatment",
                          outcome="response", n_boot=50)
    seg = pd.DataFrame({"segment": ["gold", "lead"], "v": [10.0, 1.0]})
    alloc = S.plan(seg, "pyramid", 5.0, value="v")
    case = S.reallocation_case(campaign, margin="clv", score="clv", retention=0.8, n_sims=50)
    P = pd.DataFrame([[0.7, 0.3], [0, 1]])
    figs = {
        "forest": S.figures.forest_plot(tests),
        "qini": S.figures.qini_plot({"truth": q}),
        "profit": S.figures.profit_plot(pol),
        "migration": S.figures.migration_heatmap(P),
        "equity": S.figures.equity_plot(pd.DataFrame({"mean": [1.0, 1.2]}, index=["a", "b"])),
        "budget": S.figures.budget_plot(alloc),
        "gain": S.figures.gain_lift_plot({"CLV": pol}),
        "case": S.figures.case_plot(case),
    }
    keys = {f.crmlab_key for f in figs.values()}
    assert len(keys) == len(figs) and all(k.startswith("strategy_") for k in keys)
    # forest: one point per test at its effect
    pts = figs["forest"].axes[0].lines[0]
    assert_allclose(np.asarray(pts.get_xdata(), dtype=float), tests["effect"].to_numpy(dtype=float))
    # qini: the curve and its random diagonal
    qini_ax, uplift_ax = figs["qini"].axes[:2]
    assert_allclose(qini_ax.lines[0].get_xdata(), q.curve.fraction)
    assert_allclose(qini_ax.lines[0].get_ydata(), q.curve.qini)
    assert_allclose(qini_ax.lines[1].get_ydata(), q.curve.random_qini)
    assert_allclose(uplift_ax.lines[0].get_ydata(), q.curve.uplift_curve)
    # profit: the curve, the best fraction marked
    ax = figs["profit"].axes[0]
    assert_allclose(ax.lines[0].get_ydata(), pol.curve.profit)
    assert_allclose(ax.lines[1].get_xdata(), [pol.best.fraction] * 2)
    # gain from (0, 0), lift per fraction
    gain_ax, lift_ax = figs["gain"].axes[:2]
    assert_allclose(gain_ax.lines[0].get_ydata(), np.r_[0, pol.curve.gain])
    assert_allclose(lift_ax.lines[0].get_ydata(), pol.curve.lift)
    # heatmap cells carry the matrix
    mesh = figs["migration"].axes[0].collections[0]
    assert_allclose(np.asarray(mesh.get_array()).reshape(2, 2), P.to_numpy())
    # bars: equity means; budget full cost then allocation, top segment first
    assert [b.get_height() for b in figs["equity"].axes[0].patches] == [1.0, 1.2]
    widths = [b.get_width() for b in figs["budget"].axes[0].patches]
    assert_allclose(widths, [*alloc.full_cost, *alloc.allocation])
    # case: two histograms of the same draws
    counts = [p.get_height() for p in figs["case"].axes[0].patches]
    assert sum(counts) == 2 * len(case.draws)
    # labels in the report's language (issue 7): outcome and rule names, not raw columns
    assert figs["profit"].axes[0].get_xlabel() == "目标客户比例"
    assert all(t.get_text().startswith("响应 · ") for t in figs["forest"].axes[0].get_yticklabels())
    uplift = S.figures.qini_plot({"uplift": q}, lang="zh")
    assert [t.get_text() for t in uplift.axes[0].get_legend().get_texts()] == ["增益"]
    english = S.figures.qini_plot({"uplift": q}, lang="en")
    assert [t.get_text() for t in english.axes[0].get_legend().get_texts()] == ["uplift"]
    for f in [*figs.values(), uplift, english]:
        plt.close(f)


def test_simulated_campaign_is_seeded_and_truth_is_consistent():
    a, b = simulate_campaign(500, seed=4), simulate_campaign(500, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate_campaign(500, seed=5))
    np.testing.assert_allclose(a.p_treated - a.p_control, a.true_uplift)
    assert a.attrs["truth"]["response"] == pytest.approx(a.true_uplift.mean())
    assert a.true_uplift.min() < 0 < a.true_uplift.max()  # heterogeneous, with sleeping dogs


def test_migration_model_on_the_cdnow_sample():
    from crmlab.datasets import load_cdnow

    tx = load_cdnow(sample=True)
    states = S.recency_states(tx.frame, period="M", n_states=5)
    P = S.estimate_transitions(states)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    # recency states can only move to "bought" (0) or one step further (s + 1, capped)
    for s in range(4):
        allowed = {0, min(s + 1, 4)}
        assert set(np.flatnonzero(P.loc[s].to_numpy() > 0)) <= allowed
    assert P.loc[0, 0] > P.loc[2, 0] > P.loc[4, 0]  # recent buyers come back more often
    R = S.state_rewards(states, margin=0.3, cost=1.0)
    V = S.markov_clv(P, R, 0.01)
    assert V[0] == V.max()
    out = S.migration_scenario(P, R, 0.01, {"win-back": [(4, 0, 0.03)]},
                               weights=np.bincount(states.groupby("customer_id").state.last(), minlength=5))
    assert out.loc["equity", "win-back"] > out.loc["equity", "baseline"]
    import matplotlib.pyplot as plt

    from crmlab.strategy import figures

    fig = figures.equity_plot(out.loc[["equity"]].T.rename(columns={"equity": "mean"}), lang="en")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Baseline", "win-back"]
    plt.close(fig)


def test_case_3_1_on_the_simulated_distributor():
    from crmlab.datasets.cases import simulate_distributor

    d = simulate_distributor(300, seed=1)
    d["score"] = S.composite_score(d, {"sales_value": 0.4, "sales_volume": 0.2, "receivables": -0.2,
                                       "purchase_cycle": -0.2})
    d["lost"] = (d["days_since_last_order"] > 120).astype(int)
    d["margin"] = 0.08 * d["sales_value"] / 2  # half-year gross margin at 8%
    res = S.reallocation_case(d, margin="margin", score="score", retention=0.85, lost="lost",
                              cost_before=2000, cost_premium=6000, cost_standard=800,
                              cost_winback=3000, n_sims=300, seed=2, lang="zh")
    active = int((d.lost == 0).sum())
    assert res.groups["n"].iloc[0] == pytest.approx(0.2 * active, abs=1)
    assert res.groups["n"].sum() == len(d)
    assert res.summary.index[0] == "调整前利润"
    lo, hi = res.summary.loc["利润变化", ["ci_low", "ci_high"]]
    assert lo < res.summary.loc["利润变化", "estimate"] < hi
    assert 0 <= res.summary.attrs["prob_improvement"] <= 1


def test_transitions_between_labelled_segments():
    panel = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b"],
        "period": [1, 2, 3, 1, 2],
        "state": ["重要价值客户", "一般保持客户", "重要价值客户", "一般保持客户", "一般保持客户"],
    })
    P = S.estimate_transitions(panel)
    assert P.attrs["counts"].sum() == 3
    assert P.loc["重要价值客户", "一般保持客户"] == 1.0
    assert P.loc["一般保持客户"].tolist() == [0.5, 0.5]


def test_case_inputs_builds_margin_lost_and_score():
    from crmlab.strategy.case import case_inputs, composite_score

    d = pd.DataFrame({"sales_value": [100.0, 200.0, 50.0], "sales_volume": [1, 3, 2],
                      "receivables": [0.0, 10.0, 5.0], "purchase_cycle": [30, 20, 60],
                      "days_since_last_order": [10, 200, 121]})
    out = case_inputs(d, gross_margin=0.25, lost_after_days=120)
    assert out["margin"].tolist() == [25.0, 50.0, 12.5]
    assert out["lost"].tolist() == [0, 1, 1]
    crit = {"sales_value": 1, "sales_volume": 1, "receivables": -1, "purchase_cycle": -1}
    assert out["score"].tolist() == pytest.approx(composite_score(d, crit).tolist())
    with pytest.raises(ParameterError, match="gross_margin"):
        case_inputs(d, gross_margin=25, lost_after_days=120)
