"""crmlab.value: concentration, pyramid, delivered value, retention economics, AHP/entropy/TOPSIS,
value scores and matrix, survey analysis, loyalty ladder, figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmlab import value as v
from crmlab.datasets.cases import simulate_bank, simulate_survey
from crmlab.errors import DataError, ParameterError
from crmlab.tables import Table


@pytest.fixture(scope="module")
def cdnow_rfm():
    import crmlab
    from crmlab.datasets import load_cdnow

    return crmlab.rfm_table(load_cdnow(), analysis_date="1998-07-01")


# --------------------------------------------------------------------------- concentration
def test_gini_uniform_population_is_zero():
    assert v.gini(np.full(500, 42.0)) == pytest.approx(0.0, abs=1e-12)


def test_gini_one_customer_has_everything():
    x = np.zeros(10)
    x[3] = 5.0
    assert v.gini(x) == pytest.approx(9 / 10)  # (n - 1) / n for a single holder


def test_gini_of_exponential_distribution_is_one_half():
    # The Gini coefficient of an exponential distribution is exactly 1/2; use its quantiles.
    n = 20000
    x = -np.log(1 - (np.arange(n) + 0.5) / n)
    assert v.gini(x) == pytest.approx(0.5, abs=1e-3)


def test_gini_is_twice_the_area_between_equality_and_lorenz():
    x = np.random.default_rng(1).lognormal(0, 1.2, 3000)
    lc = v.lorenz(x)
    area_under = np.trapezoid(lc["cum_value"], lc["cum_customers"])
    assert v.gini(x) == pytest.approx(1 - 2 * area_under, abs=1e-9)
    assert lc.iloc[0].tolist() == [0.0, 0.0] and lc.iloc[-1].tolist() == pytest.approx([1, 1])


def test_gini_rejects_negative_and_missing_values():
    with pytest.raises(DataError, match="negative"):
        v.gini([1.0, -2.0, 3.0])
    with pytest.raises(DataError, match="missing"):
        v.gini(pd.Series([1.0, np.nan]))
    with pytest.raises(DataError, match="zero"):
        v.gini([0.0, 0.0])


def test_concentration_top_shares_by_hand():
    x = pd.Series(np.arange(1, 101, dtype=float))  # total 5050
    out = v.concentration(x, shares=(0.01, 0.2))
    assert out.loc[0.01, "n_customers"] == 1
    assert out.loc[0.01, "value_share"] == pytest.approx(100 / 5050)
    assert out.loc[0.2, "value_share"] == pytest.approx(sum(range(81, 101)) / 5050)
    with pytest.raises(ParameterError, match="shares"):
        v.concentration(x, shares=(1.5,))


def test_whale_curve_rises_above_100_percent_and_reads_20_80_30():
    # Five customers; profit = revenue - 3 per order - 2 per customer: 95, 45, 12, -6, -13.
    rev = pd.Series([100.0, 50, 20, 5, 1], index=list("abcde"))
    orders = pd.Series([1, 1, 2, 3, 4], index=list("abcde"))
    w = v.whale_curve(rev, orders, cost_per_order=3, cost_per_customer=2)
    profit = [95, 45, 12, -6, -13]
    assert w.curve["profit"].tolist() == profit
    total = sum(profit)
    assert w.total_profit == pytest.approx(total)
    assert w.peak_share == pytest.approx((95 + 45 + 12) / total)
    assert w.peak_share > 1.0
    assert w.peak_at == pytest.approx(3 / 5)
    assert w.top_profit_share == pytest.approx(95 / total)          # top 20% = one customer
    # bottom 30% = round(1.5) = two customers, taking (152 - 133) / 152 of the potential profit
    assert w.bottom_loss_share == pytest.approx((152 - total) / 152)
    assert w.reading().loc["peak_share", "value"] == pytest.approx(w.peak_share)


def test_whale_curve_errors():
    with pytest.raises(ParameterError, match="n_orders"):
        v.whale_curve(pd.Series([1.0, 2.0]), cost_per_order=1.0)
    with pytest.raises(DataError, match="total profit"):
        v.whale_curve(pd.Series([1.0, 2.0]), cost_per_customer=10)


# --------------------------------------------------------------------------- pyramid
def test_pyramid_tiers_and_shares():
    x = pd.Series(np.random.default_rng(3).lognormal(3, 1, 1000),
                  index=[f"c{i}" for i in range(1000)])
    p = v.pyramid(x, profit=x * 0.3 - 5)
    assert p.summary["n_customers"].tolist() == [10, 40, 150, 800]
    assert p.summary["share_revenue"].sum() == pytest.approx(1.0)
    assert p.summary["share_profit"].sum() == pytest.approx(1.0)
    top10 = x.sort_values(ascending=False).index[:10]
    assert set(p.tiers[p.tiers == "tier.platinum"].index) == set(top10)
    assert list(p.table("en").to_frame().index) == ["Platinum", "Gold", "Iron", "Lead"]
    with pytest.raises(ParameterError, match="sum to 1"):
        v.pyramid(x, cuts=(0.1, 0.2))
    two = v.pyramid(x, cuts=(0.2, 0.8), labels=["top", "rest"])
    assert two.summary["n_customers"].tolist() == [200, 800]
    assert list(two.summary.index) == ["top", "rest"]


def test_pyramid_on_cdnow_within_one_customer_of_cuts(cdnow_rfm):
    revenue = cdnow_rfm["monetary"]
    n = len(revenue)
    p = v.pyramid(revenue)
    for tier, cut in zip(p.summary.index, (0.01, 0.04, 0.15, 0.80)):
        assert abs(p.summary.loc[tier, "n_customers"] - cut * n) <= 1
    # Independent check: platinum revenue = the sum of the top round(1% n) totals.
    k = round(0.01 * n)
    assert p.summary.iloc[0]["revenue"] == pytest.approx(np.sort(revenue.to_numpy())[::-1][:k].sum())


# --------------------------------------------------------------------------- retention economics
def test_clv_simple_matches_the_series_and_finite_horizon():
    m, r, d = 100.0, 0.8, 0.1
    brute = sum(m * (r / (1 + d)) ** t for t in range(1, 2000))
    assert v.clv_simple(m, r, d) == pytest.approx(m * r / (1 + d - r))
    assert v.clv_simple(m, r, d) == pytest.approx(brute)
    assert v.clv_finite(m, r, d, 3) == pytest.approx(sum(m * (r / (1 + d)) ** t for t in (1, 2, 3)))
    assert v.clv_finite(m, r, d, 0) == 0.0
    with pytest.raises(ParameterError, match="retention"):
        v.clv_simple(m, 1.2, d)


def test_retention_uplift_five_points():
    out = v.retention_uplift(100.0, 0.80, 0.10, delta=0.05)
    # 0.85/(1.1-0.85) over 0.80/(1.1-0.80) = 3.4 / 2.6667 = 1.275
    assert out.loc["improved", "change"] == pytest.approx(3.4 / (0.8 / 0.3) - 1)
    assert v.customer_equity(pd.Series([1.0, 2.5, -0.5])) == pytest.approx(3.0)
    assert v.customer_equity(250.0, n_customers=4) == pytest.approx(1000.0)


def test_clv_components_shares():
    f = pd.DataFrame({"first_purchase": [10.0, 20.0], "referral": [5.0, 5.0]})
    out = v.clv_components(f)
    assert out.loc["clv.first_purchase", "share"] == pytest.approx(30 / 40)
    with pytest.raises(DataError, match="CLV component"):
        v.clv_components(pd.DataFrame({"x": [1.0]}))


# --------------------------------------------------------------------------- AHP
SAATY_1990_HOUSE = [
    [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
    [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
    [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
    [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
    [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
    [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
    [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
    [4, 7, 5, 8, 6, 6, 2, 1],
]


def test_ahp_reproduces_saaty_1990_house_example():
    # Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process. European
    # Journal of Operational Research 48, 9-26, Table 2 (buying a house, 8 criteria): priority
    # vector .173 .054 .188 .018 .031 .036 .167 .333, lambda_max = 9.669, CI = .238, CR = .169.
    res = v.ahp_weights(SAATY_1990_HOUSE, max_cr=None)
    published = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]
    assert res.weights.to_numpy() == pytest.approx(published, abs=6e-4)
    assert res.lambda_max == pytest.approx(9.669, abs=5e-4)
    assert res.consistency_index == pytest.approx(0.238, abs=5e-4)
    assert res.consistency_ratio == pytest.approx(0.169, abs=5e-4)
    assert res.random_index == 1.41


def test_ahp_refuses_inconsistent_matrix():
    # The same published matrix is inconsistent (CR = .169 >= .1): refuse by default.
    with pytest.raises(ParameterError, match="inconsistent: CR = 0.169"):
        v.ahp_weights(SAATY_1990_HOUSE)


def test_ahp_consistent_matrix_gives_exact_weights():
    w = np.array([0.5, 0.3, 0.15, 0.05])
    res = v.ahp_weights(w[:, None] / w[None, :], labels=["a", "b", "c", "d"])
    assert res.weights.to_numpy() == pytest.approx(w)
    assert res.lambda_max == pytest.approx(4.0)
    assert res.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert "CR = 0.000" in res.table("en").to_text()


def test_ahp_input_errors():
    with pytest.raises(ParameterError, match="square"):
        v.ahp_weights([[1, 2, 3], [0.5, 1, 2]])
    with pytest.raises(ParameterError, match="not reciprocal"):
        v.ahp_weights([[1, 3], [3, 1]])
    with pytest.raises(ParameterError, match="positive"):
        v.ahp_weights([[1, -3], [-1 / 3, 1]])


# --------------------------------------------------------------------------- entropy, TOPSIS
def test_entropy_weights_hand_computed():
    f = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 4.0], "cost": [30.0, 20.0, 10.0]})
    res = v.entropy_weights(f, negative=["cost"])
    # a: min-max -> 0, .5, 1 -> p = 0, 1/3, 2/3
    e_a = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    # b: min-max -> 0, 0, 1 -> p = 0, 0, 1 -> e = 0
    # cost (reversed): 0, .5, 1 -> same as a
    d = np.array([1 - e_a, 1.0, 1 - e_a])
    assert res.entropy.to_numpy() == pytest.approx([e_a, 0.0, e_a])
    assert res.weights.to_numpy() == pytest.approx(d / d.sum())
    assert res.weights.sum() == pytest.approx(1.0)


def test_entropy_weights_errors():
    with pytest.raises(DataError, match="constant"):
        v.entropy_weights(pd.DataFrame({"a": [1.0, 1.0], "b": [2.0, 2.0]}))
    with pytest.raises(ParameterError, match="not one of"):
        v.entropy_weights(pd.DataFrame({"a": [1.0, 2.0]}), negative=["zzz"])
    with pytest.raises(DataError, match="not in the frame"):
        v.entropy_weights(pd.DataFrame({"a": [1.0, 2.0]}), columns=["a", "b"])


def test_topsis_ideal_and_anti_ideal():
    f = pd.DataFrame({"sales": [10.0, 5.0, 1.0], "receivables": [0.0, 5.0, 9.0]},
                     index=["best", "mid", "worst"])
    out = v.topsis(f, {"sales": 0.6, "receivables": 0.4}, negative=["receivables"])
    assert out.loc["best", "closeness"] == pytest.approx(1.0)
    assert out.loc["worst", "closeness"] == pytest.approx(0.0)
    assert out["rank"].tolist() == [1, 2, 3]
    with pytest.raises(ParameterError, match="one weight per criterion"):
        v.topsis(f, [0.5, 0.3, 0.2])


# --------------------------------------------------------------------------- value scores, matrix
@pytest.fixture(scope="module")
def bank():
    return simulate_bank(1500, seed=2)


def test_value_scores_recover_the_latent_factors(bank):
    vs = v.value_scores(bank)
    rho_c = vs.scores["current_value"].corr(bank["latent_current"], method="spearman")
    rho_p = vs.scores["potential_value"].corr(bank["latent_potential"], method="spearman")
    assert rho_c > 0.8 and rho_p > 0.8
    assert vs.scores[["current_value", "potential_value", "loyalty"]].stack().between(0, 100).all()
    for _, grp in vs.weights.groupby("node"):
        assert grp["weight"].sum() == pytest.approx(1.0)
    # global weights of the leaves under potential value add up to 1 as well
    leaves = vs.weights[vs.weights["indicator"].isin(
        ["credit", "switching_cost", "continuity", "tenure", "future_profit"])]
    assert leaves["global_weight"].sum() == pytest.approx(1.0)


def test_value_scores_with_ahp_and_given_weights(bank):
    ahp = {"current_value": [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]}
    vs = v.value_scores(bank, ahp=ahp, weights={"loyalty": {"switching_cost": 1, "continuity": 1,
                                                             "tenure": 2}})
    w = vs.weights.set_index(["node", "indicator"])["weight"]
    assert w["current_value", "consumption_value"] == pytest.approx(4 / 7)
    assert w["loyalty", "tenure"] == pytest.approx(0.5)
    assert vs.ahp["current_value"].consistency_ratio == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ParameterError, match="one weight per criterion"):
        v.value_scores(bank, weights={"loyalty": {"tenure": 1}})
    with pytest.raises(ParameterError, match="not nodes"):
        v.value_scores(bank, weights={"nonsense": {"a": 1}})
    with pytest.raises(DataError, match="not a column"):
        v.value_scores(bank, {"current_value": {"missing_col": "+"}})
    with pytest.raises(ParameterError, match="does not exist"):
        v.value_scores(bank, "no_such_spec.yml")


def test_value_spec_from_yaml_file(bank, tmp_path):
    spec = v.load_spec("bank")
    assert spec["potential_value"]["loyalty"] == {"switching_cost": "+", "continuity": "+",
                                                   "tenure": "+"}
    path = tmp_path / "two.yml"
    path.write_text("current_value:\n  consumption_value: '+'\n  cost: '-'\n", encoding="utf-8")
    vs = v.value_scores(bank, str(path), method="equal")
    x = bank[["consumption_value", "cost"]]
    z = (x - x.min()) / (x.max() - x.min())
    expected = 100 * (z["consumption_value"] + (1 - z["cost"])) / 2
    assert vs.scores["current_value"].to_numpy() == pytest.approx(expected.to_numpy())


def test_value_matrix_classes_and_strategies(bank):
    vs = v.value_scores(bank).scores
    m = v.value_matrix(vs["current_value"], vs["potential_value"], lang="en")
    hi_c = vs["current_value"] > vs["current_value"].median()
    hi_p = vs["potential_value"] > vs["potential_value"].median()
    assert (m["value_class"] == "top").sum() == (hi_c & hi_p).sum()
    assert (m["value_class"] == "low").sum() == (~hi_c & ~hi_p).sum()
    assert (m["value_class"] == "high_end").sum() == (hi_c & ~hi_p).sum()
    assert set(m.loc[m["value_class"] == "top", "label"]) == {"Top customers"}
    zh = v.value_matrix(vs["current_value"], vs["potential_value"], split=(50.0, "mean"))
    assert set(zh["label"]) <= {"顶级客户", "高端客户", "中端客户", "低端客户"}
    assert zh.attrs["thresholds"]["current"] == 50.0
    tab = v.value_matrix_summary(m, bank["consumption_value"], lang="en")
    assert tab.frame["n_customers"].sum() == len(bank)
    assert tab.frame["share_revenue"].sum() == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="both claim"):
        v.value_matrix(vs["current_value"], vs["potential_value"], classes=[
            {"key": k, "current": "high", "potential": "high", "zh": k, "en": k}
            for k in ("a", "b", "c", "d")])


# --------------------------------------------------------------------------- survey
@pytest.fixture(scope="module")
def survey():
    return simulate_survey(400, seed=5)


def test_delivered_value_is_value_minus_cost(survey):
    dv = v.delivered_value(survey)
    pv = survey[["product_value_1", "product_value_2", "product_value_3"]].mean(axis=1)
    assert dv["product_value"].to_numpy() == pytest.approx(pv.to_numpy())
    total_v = dv[list(v.VALUE_COMPONENTS)].sum(axis=1)
    total_c = dv[list(v.COST_COMPONENTS)].sum(axis=1)
    assert dv["delivered_value"].to_numpy() == pytest.approx((total_v - total_c).to_numpy())
    with pytest.raises(ParameterError, match="unknown components"):
        v.delivered_value(survey, weights={"nope": 1.0})


def test_cronbach_alpha_by_hand():
    items = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 2, 4, 4], "c": [1.0, 3, 3, 5]})
    k = 3
    item_var = items.var(ddof=1).sum()
    total_var = items.sum(axis=1).var(ddof=1)
    assert v.cronbach_alpha(items) == pytest.approx(k / (k - 1) * (1 - item_var / total_var))
    assert v.cronbach_alpha(pd.DataFrame({"a": [1.0, 2, 3], "b": [1.0, 2, 3]})) == pytest.approx(1.0)


def test_survey_reliability_factors_and_regression(survey):
    rel = v.reliability(survey)
    assert (rel.frame["alpha"] > 0.7).all()
    load = v.factor_loadings(survey)
    # every construct's three items load most on the same factor, and constructs on different ones
    main = load.abs().idxmax(axis=1)
    groups = v.default_constructs(survey)
    per_construct = {c: set(main[items]) for c, items in groups.items()}
    assert all(len(s) == 1 for s in per_construct.values())
    assert len({next(iter(s)) for s in per_construct.values()}) == len(groups)
    fit = v.loyalty_regression(survey)
    assert fit.params["satisfaction"] > 0 and fit.params["perceived_value"] > 0
    assert fit.pvalues["satisfaction"] < 0.001 and fit.pvalues["perceived_value"] < 0.01
    assert "satisfaction" in str(fit.summary())


# --------------------------------------------------------------------------- loyalty ladder
def test_loyalty_ladder_stages_and_transitions():
    n = pd.Series([0, 1, 2, 3, 5, 6], index=list("abcdef"))
    ref = pd.Series({"f": 2})
    st = v.loyalty_ladder(n, loyal_at=4, referrals=ref)
    assert st.astype(str).tolist() == ["stage.prospect", "stage.first_time", "stage.repeat",
                                       "stage.repeat", "stage.loyal", "stage.advocate"]
    later = v.loyalty_ladder(n + 1, loyal_at=4)
    tr = v.ladder_transitions(st, later)
    assert tr.sum(axis=1).dropna().to_numpy() == pytest.approx(1.0)
    assert tr.loc["stage.prospect", "stage.first_time"] == 1.0


# --------------------------------------------------------------------------- tables and figures
def test_table_renders_in_both_languages():
    t = Table(pd.DataFrame({"share_customers": [0.25]}, index=pd.Index(["tier.gold"], name="tier")),
              "value.test", {"zh": "测试表", "en": "Test table"})
    assert "测试表" in t.to_text() and "客户占比" in t.to_text() and "黄金客户" in t.to_text()
    html = t.to_html("en")
    assert "<caption>Test table</caption>" in html and "Share of customers" in html
    assert 'data-key="value.test"' in html
    assert t.to_frame("en").columns.tolist() == ["Share of customers"]
    assert t.frame.columns.tolist() == ["share_customers"]  # raw frame untouched


def test_figures_plot_their_data_with_keys_and_captions(bank, survey):
    import matplotlib.pyplot as plt

    x = bank["consumption_value"]
    vs = v.value_scores(bank).scores
    whale = v.whale_curve(x, cost_per_customer=2000)
    pyr = v.pyramid(x)
    matrix = v.value_matrix(vs["current_value"], vs["potential_value"])
    dv = v.delivered_value(survey)
    figs = [
        v.plot_lorenz(x, lang="en"),
        v.plot_whale(whale, lang="zh"),
        v.plot_pyramid(pyr, lang="zh"),
        v.plot_value_matrix(matrix, lang="zh"),
        v.plot_delivered_value(dv, lang="en"),
        v.plot_loadings(v.factor_loadings(survey), lang="zh"),
    ]
    # the data behind the artists
    lc = v.lorenz(x)
    np.testing.assert_allclose(figs[0].axes[0].lines[0].get_xdata(), lc["cum_customers"])
    np.testing.assert_allclose(figs[0].axes[0].lines[0].get_ydata(), lc["cum_value"])
    np.testing.assert_allclose(figs[1].axes[0].lines[0].get_ydata(), np.r_[0, whale.curve["cum_share"]])
    np.testing.assert_allclose(figs[1].axes[0].collections[0].get_offsets(),
                               [[whale.peak_at, whale.peak_share]])
    np.testing.assert_allclose([b.get_width() for b in figs[2].axes[0].patches],
                               pyr.summary["share_revenue"])
    assert sum(len(c.get_offsets()) for c in figs[3].axes[0].collections) == len(matrix)
    bars = figs[4].axes[0].patches
    assert bars[-1].get_height() == pytest.approx(dv["delivered_value"].mean())
    # the waterfall steps end where the delivered-value bar stands
    top = bars[-2].get_y() + bars[-2].get_height()
    assert top == pytest.approx(dv["delivered_value"].mean())
    keys = [f.crmlab_key for f in figs]
    assert keys == ["value.lorenz", "value.whale", "value.pyramid", "value.matrix",
                    "value.delivered", "value.loadings"]
    assert "Gini" in figs[0].crmlab_caption and figs[2].crmlab_caption == "客户金字塔"
    items = [t.get_text() for t in figs[5].axes[0].get_yticklabels()]  # issue 7: no raw item names
    assert "产品价值1" in items and not any(t.isascii() for t in items)
    assert v.item_label("product_value_2", "en") == "Product value 2"
    assert v.item_label("q_7", "zh") == "q_7"  # no label for the construct: kept as given
    for f in figs:
        plt.close(f)


def test_weights_table_reads_chinese_in_zh(bank):
    """Issue 7: the bank case's weight table showed node, indicator and source keys in zh."""
    from crmlab import notebook as nb

    for method, zh_source in (("entropy", "熵权法"), ("equal", "等权")):
        w = v.value_scores(bank, method=method).weights
        zh = nb.localise(w, "zh")
        assert set(zh["来源"]) == {zh_source}
        assert {"当前价值", "潜在价值"} <= set(zh["节点"]) and "消费价值" in set(zh["指标"])
        assert not any(s.isascii() for s in zh[["节点", "指标", "来源"]].to_numpy().ravel())
    assert set(nb.localise(w, "en")["source"]) == {"equal weights"}


def test_margin_per_year_spreads_margin_over_the_data_span():
    import crmlab

    frame = pd.DataFrame({"customer_id": ["a", "a", "b"],
                          "date": pd.to_datetime(["2020-01-01", "2020-07-01", "2021-01-01"]),
                          "amount": [100.0, 50.0, 30.0]})
    summary = crmlab.summarise(frame, observation_end="2021-12-31")
    # totals a=150, b=30 -> mean 90; span 2020-01-01..2021-12-31 = 730 days
    assert crmlab.value.margin_per_year(summary, 0.3) == pytest.approx(0.3 * 90 / (730 / 365.25))
    with pytest.raises(ParameterError, match="gross_margin"):
        crmlab.value.margin_per_year(summary, 30)
    with pytest.raises(ParameterError, match="summarise"):
        crmlab.value.margin_per_year(summary[["frequency"]], 0.3)


# --------------------------------------------------------------------------- package layout
def test_value_package_keeps_its_public_names_and_depends_on_no_analysis_package():
    """Issue 13.5: value is split into topic modules; every public name stays importable from
    crmlab.value; it imports neither strategy nor rfm (strategy builds on value's CLV arithmetic),
    and the shared column labels are there without importing value."""
    import subprocess
    import sys

    code = (
        "import sys, crmlab.tables, crmlab.i18n as i\n"
        "assert i.t('col.recency', 'en') == 'Recency (days)', 'shared labels need value'\n"
        "assert 'crmlab.value' not in sys.modules\n"
        "import crmlab.value as v\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('crmlab.strategy', 'crmlab.rfm', "
        "'crmlab.segments', 'crmlab.clv')))\n"
        "assert not bad, bad\n"
        "missing = [n for n in v.__all__ if not hasattr(v, n)]\n"
        "assert not missing, missing\n"
        "print(len(v.__all__))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 50
    from crmlab import strategy

    assert strategy.retention_clv is v.retention_clv
    for name in ("gini", "whale_curve", "pyramid", "ahp_weights", "entropy_weights", "topsis",
                 "value_scores", "value_matrix", "cronbach_alpha", "loyalty_ladder", "clv_simple",
                 "plot_lorenz", "RULES_DIR"):
        assert name in v.__all__


def test_retention_clv_horizon_must_be_a_whole_number():
    with pytest.raises(ParameterError, match="horizon"):
        v.retention_clv(100, 0.8, 0.1, horizon=2.5)
    assert v.retention_clv(100, 0.8, 0.1, horizon=1) == pytest.approx(100.0)


def test_simulated_referrals_let_the_ladder_show_advocates():
    """Referrals come from the data where present: the retail simulator can carry a referral count
    (its own random stream, so the other columns do not change), and the ladder then tells
    advocates from loyal customers; without the column it cannot."""
    import crmlab

    plain = crmlab.datasets.simulate_retail(3000, seed=3)
    tx = crmlab.datasets.simulate_retail(3000, seed=3, referral_rate=0.3)
    assert tx.frame[["customer_id", "date", "amount"]].equals(plain.frame[["customer_id", "date", "amount"]])
    first = tx.frame.groupby("customer_id")["date"].transform("min") == tx.frame["date"]
    assert (tx.frame.loc[first, "referrals"] == 0).all() and tx.frame["referrals"].sum() > 0
    cal, obs = tx.meta["calibration_end"], tx.meta["observation_end"]
    with_refs = crmlab.value.ladder_snapshots(tx.frame, cal, obs, referral_col="referrals")
    without = crmlab.value.ladder_snapshots(tx.frame, cal, obs)
    adv = with_refs["stage_observation"] == "stage.advocate"
    assert adv.sum() > 0 and not (without["stage_observation"] == "stage.advocate").any()
    # an advocate is a loyal customer who referred someone by the snapshot date
    refs = tx.frame[tx.frame["date"] <= obs].groupby("customer_id")["referrals"].sum()
    assert (refs.reindex(with_refs.index[adv]) > 0).all()
    assert (without.loc[adv, "stage_observation"] == "stage.loyal").all()
    with pytest.raises(ParameterError, match="referral_rate"):
        crmlab.datasets.simulate_retail(10, seed=1, referral_rate=-1)
