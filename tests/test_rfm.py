"""crmlab.rfm: scores, tie rule, rule sets, Case 3-1 selection, validation, CDNOW checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import crmlab
from crmlab import rfm, value
from crmlab.datasets.cases import simulate_distributor
from crmlab.errors import DataError, ParameterError


@pytest.fixture(scope="module")
def cdnow_rfm():
    from crmlab.datasets import load_cdnow

    return crmlab.rfm_table(load_cdnow(), analysis_date="1998-07-01")


def _table(n=1000, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    if ties:
        rec = rng.integers(0, 12, n) * 30
        freq = rng.geometric(0.55, n)
        mon = rng.choice([10.0, 20.0, 20.0, 35.5, 50.0, 99.0], n)
    else:
        rec = rng.permutation(n) * 1.5
        freq = rng.permutation(n) + 1
        mon = rng.permutation(n) * 2.0 + 0.5
    return pd.DataFrame({"recency": rec, "frequency": freq, "monetary": mon},
                        index=pd.Index([f"c{i:05d}" for i in range(n)], name="customer_id"))


# --------------------------------------------------------------------------- scores
def test_rfm_table_is_reexported():
    assert rfm.rfm_table is crmlab.rfm_table


def test_distinct_values_give_equal_bins_and_recency_is_reversed():
    t = _table(1000)
    s = rfm.score(t, bins=5)
    for dim in "RFM":
        assert s[dim].value_counts().sort_index().tolist() == [200] * 5
    assert s.loc[t["recency"].idxmin(), "R"] == 5   # most recent = 5
    assert s.loc[t["recency"].idxmax(), "R"] == 1
    assert s.loc[t["monetary"].idxmax(), "M"] == 5
    row = s.iloc[0]
    assert row["code"] == f"{row['R']}{row['F']}{row['M']}"
    assert row["score"] == pytest.approx((row["R"] + row["F"] + row["M"]) / 3)


def test_quantile_rule_by_hand():
    # 1 + floor(bins * (#customers strictly worse) / n); ties share the score
    t = pd.DataFrame({"recency": [1, 2, 3, 4], "frequency": [1, 1, 1, 9],
                      "monetary": [5.0, 5.0, 7.0, 9.0]}, index=list("abcd"))
    s = rfm.score(t, bins=2)
    assert s["R"].tolist() == [2, 2, 1, 1]
    assert s["F"].tolist() == [1, 1, 1, 2]      # 1 + floor(2*3/4) = 2 for the top customer
    assert s["M"].tolist() == [1, 1, 2, 2]      # 7.0: two worse -> 1 + floor(2*2/4) = 2


@pytest.mark.parametrize("bins", [2, 3, 4, 5])
def test_min_tie_rule_matches_pandas_min_rank(bins):
    # Independent reference: 1 + floor(bins * (rank(method="min") - 1) / n), per dimension,
    # with recency reversed. Covers the partition shortcut used for ties="min".
    for seed in range(3):
        t = _table(997, seed=seed, ties=True)
        s = rfm.score(t, bins=bins)
        n = len(t)
        for dim, col, sign in (("R", "recency", -1), ("F", "frequency", 1), ("M", "monetary", 1)):
            ref = 1 + np.floor(bins * ((sign * t[col]).rank(method="min") - 1) / n)
            assert (s[dim].to_numpy() == ref.to_numpy()).all()
        avg = rfm.score(t, bins=bins, ties="average")
        ref = 1 + np.floor(bins * (t["monetary"].rank(method="average") - 1) / n)
        assert (avg["M"].to_numpy() == ref.to_numpy()).all()


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.sampled_from([0.0, 5.0, 9.5, 20.0])),
                    min_size=8, max_size=60),
    perm_seed=st.integers(0, 2**32 - 1),
    ties=st.sampled_from(["min", "average", "id"]),
    bins=st.integers(2, 3),
)
def test_scores_do_not_depend_on_row_order_on_a_tie_heavy_table(values, perm_seed, ties, bins):
    # Property (hypothesis): on tables drawn with few distinct values (so ties everywhere),
    # permuting the rows never changes any customer's R, F, M, score or code.
    t = pd.DataFrame(values, columns=["recency", "frequency", "monetary"],
                     index=pd.Index([f"c{i:03d}" for i in range(len(values))], name="customer_id"))
    distinct = min(t[c].nunique() for c in t.columns)
    assume(distinct >= bins)
    ref = rfm.score(t, bins=bins, ties=ties)
    shuffled = t.iloc[np.random.default_rng(perm_seed).permutation(len(t))]
    got = rfm.score(shuffled, bins=bins, ties=ties).loc[ref.index]
    pd.testing.assert_frame_equal(got[["R", "F", "M", "score"]], ref[["R", "F", "M", "score"]])
    assert (got["code"].astype(str) == ref["code"].astype(str)).all()


def test_tied_values_share_a_score_and_ties_id_balances_bins():
    t = _table(800, seed=4, ties=True)
    s = rfm.score(t, bins=4)
    assert (s.groupby(t["monetary"])["M"].nunique() == 1).all()
    assert (s.groupby(t["recency"])["R"].nunique() == 1).all()
    by_id = rfm.score(t, bins=4, ties="id")
    assert by_id["F"].value_counts().tolist() == [200] * 4


def test_breaks_method():
    t = pd.DataFrame({"recency": [5, 30, 90, 400], "frequency": [1, 2, 5, 10],
                      "monetary": [10.0, 50.0, 100.0, 1000.0]})
    s = rfm.score(t, bins=3, method="breaks",
                  breaks={"R": [30, 180], "F": [2, 5], "monetary": [50, 500]})
    assert s["R"].tolist() == [3, 2, 2, 1]       # 30 sits on a cut: goes to the less recent bin
    assert s["F"].tolist() == [1, 2, 3, 3]
    assert s["M"].tolist() == [1, 2, 2, 3]
    with pytest.raises(ParameterError, match="2 increasing inner cut points"):
        rfm.score(t, bins=3, method="breaks", breaks={"R": [30], "F": [2, 5], "M": [50, 500]})


def test_weighted_score_takes_ahp_weights():
    t = _table(300)
    ahp = value.ahp_weights([[1, 1 / 2, 1 / 4], [2, 1, 1 / 2], [4, 2, 1]], labels=["R", "F", "M"])
    s = rfm.score(t, weights=ahp)
    w = ahp.weights
    assert s["score"].to_numpy() == pytest.approx(
        (w["R"] * s["R"] + w["F"] * s["F"] + w["M"] * s["M"]).to_numpy())
    with pytest.raises(ParameterError, match="R, F and M"):
        rfm.score(t, weights={"R": 1, "F": 1})
    with pytest.raises(ParameterError, match="three"):
        rfm.score(t, weights=[1, 2])


def test_score_errors():
    t = _table(50)
    few = t.assign(frequency=[1, 2, 3] * 16 + [1, 2])
    with pytest.raises(ParameterError, match="only 3 distinct values"):
        rfm.score(few, bins=5)
    with pytest.raises(DataError, match="no 'monetary' column"):
        rfm.score(t.drop(columns="monetary"))
    with pytest.raises(DataError, match="missing values"):
        rfm.score(t.assign(recency=np.nan))
    with pytest.raises(ParameterError, match="method="):
        rfm.score(t, method="kmeans")
    with pytest.raises(ParameterError, match="rfm_table"):
        rfm.score(t.assign(T=100.0))


# --------------------------------------------------------------------------- segments
@pytest.mark.parametrize("rules,bins", [("classic10", 5), ("quartile5", 4), ("cn8", 5)])
def test_every_customer_gets_exactly_one_segment(rules, bins):
    t = _table(2000, seed=3, ties=True)
    s = rfm.score(t, bins=bins)
    seg = rfm.segment(s, rules)
    assert len(seg) == len(t) and seg.index.equals(s.index)
    assert seg["segment"].notna().all()
    keys = rfm.load_rules(rules).keys()
    assert list(seg["segment"].cat.categories) == keys
    assert seg["segment"].value_counts().sum() == len(t)


def test_classic10_precedence_and_known_cells():
    s = pd.DataFrame({"R": [5, 3, 1, 1, 4, 5, 2, 1], "F": [5, 4, 5, 1, 1, 2, 1, 5],
                      "M": [5, 4, 5, 1, 1, 3, 5, 1]}, index=list("abcdefgh"))
    s.attrs["bins"] = 5
    seg = rfm.segment(s, "classic10", lang="en")
    assert seg["segment"].tolist() == [
        "champions",           # 555 also fits Loyal Customers: the first listed rule wins
        "loyal_customers",
        "cant_lose_them",      # 155 also fits At Risk, listed after it
        "lost",
        "new_customers",       # 411 also fits Promising and Potential Loyalist
        "potential_loyalist",
        "other",               # 215: big spender, one old purchase: no rule fits
        "other",               # 151
    ]
    assert seg.loc["g", "label"] == "Other"


@pytest.mark.parametrize("rules,bins", [("classic10", 5), ("quartile5", 4)])
def test_lookup_matches_a_plain_first_match_loop(rules, bins):
    # Reference: read the YAML rules and try them in order for each of the bins^3 patterns.
    import itertools

    import yaml

    spec = yaml.safe_load((rfm.RULES_DIR / f"rfm_{rules}.yml").read_text(encoding="utf-8"))
    pats = list(itertools.product(range(1, bins + 1), repeat=3))
    expected = []
    for r, f, m in pats:
        got = "other"
        for seg in spec["segments"]:
            if "codes" in seg:
                hit = f"{r}{f}{m}" in seg["codes"]
            else:
                hit = all(seg[d][0] <= x <= seg[d][1] for d, x in zip("RFM", (r, f, m)))
            if hit:
                got = seg["key"]
                break
        expected.append(got)
    s = pd.DataFrame(pats, columns=["R", "F", "M"])
    s.attrs["bins"] = bins
    assert rfm.segment(s, rules)["segment"].astype(str).tolist() == expected


def test_every_classic10_segment_is_reachable():
    lut = rfm._grid_lookup(rfm.load_rules("classic10"), 5)
    assert set(lut.tolist()) == set(range(11))   # ten segments and "other"


def test_quartile5_codes_and_bins_check():
    s = pd.DataFrame({"R": [4, 1, 2], "F": [4, 1, 4], "M": [4, 1, 2]}, index=list("abc"))
    s.attrs["bins"] = 4
    seg = rfm.segment(s, "quartile5")
    assert seg["segment"].tolist() == ["premium", "inactive", "other"]   # 242 is not listed
    s5 = rfm.score(_table(200), bins=5)
    with pytest.raises(ParameterError, match="bins=4"):
        rfm.segment(s5, "quartile5")


def test_ambiguous_rules_without_precedence_are_refused(tmp_path):
    s = rfm.score(_table(200), bins=5)
    with pytest.raises(ParameterError, match="ambiguous: pattern 111"):
        rfm.segment(s, {"a": ["111", "112"], "b": ["111"]})
    grid = {"kind": "grid", "segments": [{"key": "x", "R": [1, 3]}, {"key": "y", "R": [3, 5]}]}
    with pytest.raises(ParameterError, match="ambiguous"):
        rfm.segment(s, grid)
    ok = rfm.segment(s, dict(grid, precedence="first"))
    assert (ok.loc[s["R"] == 3, "segment"] == "x").all()
    path = tmp_path / "mine.yml"
    path.write_text("kind: grid\nsegments:\n  - {key: best, zh: 最好, en: Best, R: [5, 5]}\n",
                    encoding="utf-8")
    mine = rfm.segment(s, str(path), lang="zh")
    assert set(mine["label"].astype(str)) == {"最好", "其他"}
    with pytest.raises(ParameterError, match="neither a built-in"):
        rfm.segment(s, "classic11")


def test_cn8_split_at_mean_and_median_by_hand():
    t = pd.DataFrame({"recency": [10, 100, 10, 100], "frequency": [5, 5, 1, 1],
                      "monetary": [100.0, 10.0, 90.0, 5.0]}, index=list("abcd"))
    s = rfm.score(t, bins=2)
    seg = rfm.segment(s, "cn8")
    assert seg["label"].astype(str).tolist() == ["重要价值客户", "一般保持客户", "重要发展客户",
                                                 "一般挽留客户"]
    med = rfm.segment(s, "cn8", split="median", lang="en")
    assert med.loc["a", "label"] == "Important value"


# --------------------------------------------------------------------------- CDNOW
def test_cdnow_concentration_gini_and_cn8_counts(cdnow_rfm):
    m = cdnow_rfm["monetary"].to_numpy()
    srt = np.sort(m)[::-1]
    k = round(0.2 * len(m))
    conc = value.concentration(cdnow_rfm["monetary"], shares=(0.2,))
    assert conc.loc[0.2, "value_share"] == pytest.approx(srt[:k].sum() / m.sum())
    # Gini, independently: mean absolute difference / (2 * mean), by the sorted-sum identity
    asc = np.sort(m)
    n = len(asc)
    mad = 2 * np.sum((2 * np.arange(1, n + 1) - n - 1) * asc) / (n * n)
    assert value.gini(m) == pytest.approx(mad / (2 * asc.mean()), rel=1e-12)
    assert 0.5 < value.gini(m) < 0.9
    s = rfm.score(cdnow_rfm, bins=5)
    for split in ("mean", "median"):
        seg = rfm.segment(s, "cn8", split=split)
        f = np.mean if split == "mean" else np.median
        r_hi = cdnow_rfm["recency"] < f(cdnow_rfm["recency"])
        f_hi = cdnow_rfm["frequency"] > f(cdnow_rfm["frequency"])
        m_hi = cdnow_rfm["monetary"] > f(cdnow_rfm["monetary"])
        expected = {
            "important_value": (r_hi & f_hi & m_hi).sum(),
            "important_development": (r_hi & ~f_hi & m_hi).sum(),
            "important_retention": (~r_hi & f_hi & m_hi).sum(),
            "important_winback": (~r_hi & ~f_hi & m_hi).sum(),
            "general_value": (r_hi & f_hi & ~m_hi).sum(),
            "general_development": (r_hi & ~f_hi & ~m_hi).sum(),
            "general_retention": (~r_hi & f_hi & ~m_hi).sum(),
            "general_winback": (~r_hi & ~f_hi & ~m_hi).sum(),
        }
        counts = seg["segment"].value_counts()
        assert {k: int(counts[k]) for k in expected} == {k: int(v) for k, v in expected.items()}
        assert counts["other"] == 0


# --------------------------------------------------------------------------- Case 3-1 selection
def test_select_top_20_percent_with_negative_criteria():
    d = simulate_distributor(300, seed=1)
    crit = {"sales_value": "+", "sales_volume": "+", "receivables": "-", "purchase_cycle": "-"}
    top = rfm.select_top(d, crit, share=0.2)
    assert top["selected"].sum() == 60
    assert top["rank"].tolist() == list(range(1, 301))
    # by hand: equal-weight mean of min-max scores, receivables and cycle reversed
    x = d[list(crit)].astype(float)
    z = (x - x.min()) / (x.max() - x.min())
    z["receivables"] = 1 - z["receivables"]
    z["purchase_cycle"] = 1 - z["purchase_cycle"]
    expected = z.mean(axis=1)
    assert top["score"].to_numpy() == pytest.approx(expected.loc[top.index].to_numpy())
    assert set(top.index[:60]) == set(expected.sort_values(ascending=False).index[:60])
    # more receivables can only lower a customer's score
    worse = d.copy()
    cid = top.index[0]
    worse.loc[cid, "receivables"] = d["receivables"].max() * 2
    assert rfm.select_top(worse, crit).loc[cid, "score"] < top.loc[cid, "score"]
    ent = rfm.select_top(d, crit, weights="entropy", method="topsis")
    assert ent["selected"].sum() == 60 and sum(ent.attrs["weights"].values()) == pytest.approx(1)
    with pytest.raises(ParameterError, match="one weight per criterion"):
        rfm.select_top(d, crit, weights={"sales_value": 1})
    with pytest.raises(ParameterError, match="direction"):
        rfm.select_top(d, {"sales_value": "up"})


# --------------------------------------------------------------------------- validation
def test_validate_rank_correlation_and_lift():
    t = _table(3000, seed=7)
    s = rfm.score(t)
    rng = np.random.default_rng(0)
    # holdout purchases rise with the calibration score
    freq_h = rng.poisson(0.3 * s["score"].to_numpy())
    hold = pd.DataFrame({"frequency_holdout": freq_h, "total_amount_holdout": freq_h * 20.0},
                        index=t.index)
    seg = rfm.segment(s, "classic10")
    res = rfm.validate(s, hold, segments=seg)
    from scipy.stats import spearmanr

    ind = spearmanr(s["score"], hold["frequency_holdout"] * 20.0)
    assert res.spearman[0] == pytest.approx(ind.statistic)
    assert res.spearman[0] > 0.1 and res.spearman[1] < 1e-6
    # negative control: a holdout unrelated to the score shows no rank correlation
    noise = pd.Series(rng.poisson(1.0, len(t)) * 20.0, index=t.index)
    assert abs(rfm.validate(s, noise, by="R").spearman[0]) < 0.06
    assert res.table["n_customers"].sum() == len(t)
    assert set(res.table.index) <= set(seg["label"].astype(str))
    assert res.table["share_revenue"].sum() == pytest.approx(1.0)
    assert res.lift["lift"].iloc[-1] > 1 > res.lift["lift"].iloc[0]
    by_r = rfm.validate(s, hold["frequency_holdout"] * 20.0, by="R")
    assert set(by_r.table.index) == {1, 2, 3, 4, 5}
    assert "Spearman" in by_r.as_table("en").to_text()
    with pytest.raises(DataError, match="no holdout record"):
        rfm.validate(s, hold.iloc[:10], by="code")


def test_rfm_figures():
    import matplotlib.pyplot as plt

    t = _table(500)
    s = rfm.score(t)
    seg = rfm.segment(s, "cn8")
    f1 = rfm.plot_heatmap(s, lang="en")
    f2 = rfm.plot_segments(seg, t["monetary"], lang="zh")
    assert (f1.crmlab_key, f2.crmlab_key) == ("rfm.heatmap", "rfm.segments")
    # heatmap cells: mean monetary per (R, F) cell, best recency score on top
    piv = s.pivot_table(index="R", columns="F", values="monetary", aggfunc="mean", observed=False)
    cells = np.ma.filled(np.ma.asarray(f1.axes[0].collections[0].get_array(), dtype=float), np.nan)
    np.testing.assert_allclose(cells.reshape(piv.shape), piv.sort_index(ascending=False).to_numpy())
    # bars: share of customers, then share of revenue, per segment
    tab = rfm.segment_summary(seg, t["monetary"], lang="en").frame
    assert tab["share_customers"].sum() == pytest.approx(1.0)
    widths = [b.get_width() for b in f2.axes[0].patches]
    np.testing.assert_allclose(widths, [*tab["share_customers"], *tab["share_revenue"]])
    plt.close(f1)
    plt.close(f2)


def test_validate_counts_every_holdout_purchase_of_a_day():
    # Two orders on one holdout day: frequency_holdout counts the day once, the revenue is both
    # orders (frequency_holdout x monetary_value_holdout, the mean per order, would lose one).
    import crmlab

    log = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
        "date": pd.to_datetime(["2024-01-02", "2024-02-01", "2024-07-01 09:00", "2024-07-01 18:30",
                                "2024-01-05", "2024-08-01", "2024-03-01"], format="ISO8601"),
        "amount": [10.0, 20.0, 30.0, 50.0, 15.0, 40.0, 25.0]})
    s = crmlab.summarise(log, observation_end="2024-12-31", calibration_end="2024-06-30")
    assert s.loc["a", "frequency_holdout"] == 1 and s.loc["a", "total_amount_holdout"] == 80.0
    table = crmlab.rfm_table(log[log["date"] < "2024-07-01"], analysis_date="2024-06-30")
    scores = rfm.score(table, bins=2)
    res = rfm.validate(scores, s, by="R")
    hold = log[log["date"] >= "2024-07-01"].groupby("customer_id")["amount"].sum()
    expected = hold.reindex(scores.index, fill_value=0.0)
    assert res.table["mean_revenue"].mul(res.table["n_customers"]).sum() == pytest.approx(expected.sum())
    assert res.lift["mean_revenue"].max() == 80.0  # customer a: 30 + 50 on 2024-07-01
