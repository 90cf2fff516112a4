"""crmlab.segments: clustering with k selection, profiling and tests, tree rules, names, tiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from crmlab import segments as sg
from crmlab.datasets.cases import simulate_distributor
from crmlab.errors import DataError, ParameterError


@pytest.fixture(scope="module")
def blobs():
    """Three well-separated customer groups on a log scale (recency, frequency, monetary)."""
    rng = np.random.default_rng(0)
    centers = np.array([[np.log(20), np.log(12), np.log(900)],     # recent, frequent, big
                        [np.log(300), np.log(1.5), np.log(30)],    # lapsed, one-off, small
                        [np.log(90), np.log(4), np.log(150)]])     # in between
    truth = np.repeat([0, 1, 2], [300, 500, 400])
    x = np.exp(centers[truth] + rng.normal(0, 0.15, (len(truth), 3)))
    frame = pd.DataFrame(x, columns=["recency", "frequency", "monetary"],
                         index=[f"c{i:04d}" for i in range(len(truth))])
    frame["channel"] = np.where(truth == 0, "online", rng.choice(["online", "store"], len(truth)))
    return frame, pd.Series(truth, index=frame.index)


def test_cluster_finds_the_three_groups(blobs):
    frame, truth = blobs
    res = sg.cluster(frame, ["recency", "frequency", "monetary"], k=range(2, 7), n_bootstrap=5)
    assert res.k_ == 3
    assert set(res.selection_.attrs["choice"]) == {"silhouette", "calinski_harabasz", "elbow"}
    assert res.selection_.attrs["choice"]["calinski_harabasz"] == 3
    assert list(res.selection_.index) == [2, 3, 4, 5, 6]
    assert adjusted_rand_score(truth, res.labels_) > 0.95
    assert res.stability_ > 0.9
    # segment 0 has the highest mean of the first feature (recency)
    assert res.centers_["recency"].idxmax() == 0
    assert res.selection_table("en").frame.shape == (5, 3)


def test_cluster_is_reproducible_and_gmm_works(blobs):
    frame, truth = blobs
    feats = ["recency", "frequency", "monetary"]
    a = sg.cluster(frame, feats, k=3, n_bootstrap=0, seed=3)
    b = sg.cluster(frame, feats, k=3, n_bootstrap=0, seed=3)
    assert a.labels_.equals(b.labels_)
    g = sg.cluster(frame, feats, k=[2, 3, 4], method="gmm", n_bootstrap=0)
    assert adjusted_rand_score(truth, g.labels_) > 0.9


def test_cluster_errors(blobs):
    frame, _ = blobs
    with pytest.raises(ParameterError, match=r"\['flat'\] are constant"):
        sg.cluster(frame.assign(flat=1.0), ["recency", "flat"], k=3)
    with pytest.raises(DataError, match="not numeric"):
        sg.cluster(frame, ["recency", "channel"], k=3)
    with pytest.raises(ParameterError, match="between 2"):
        sg.cluster(frame, ["recency", "monetary"], k=1)
    with pytest.raises(ParameterError, match="elbow"):
        sg.cluster(frame, ["recency", "monetary"], method="gmm", choose="elbow")


def test_profile_shares_means_and_tests(blobs):
    frame, truth = blobs
    prof = sg.profile(frame, truth, features=["recency", "frequency", "monetary"],
                      revenue="monetary", value="monetary", categorical=["channel"])
    s = prof.summary
    assert s["n_customers"].tolist() == [300, 500, 400]
    assert s["share_customers"].sum() == pytest.approx(1.0)
    assert s["share_revenue"].sum() == pytest.approx(1.0)
    assert s.loc[0, "monetary_mean"] == pytest.approx(frame.loc[truth == 0, "monetary"].mean())
    assert s.loc[1, "recency_median"] == pytest.approx(frame.loc[truth == 1, "recency"].median())
    assert (s["value_ci_low"] < s["value_mean"]).all() and (s["value_mean"] < s["value_ci_high"]).all()
    assert (prof.tests["p_value"] < 1e-10).all()
    assert prof.tests.loc["channel", "test"] == "chi2"
    anova = sg.profile(frame, truth, features=["monetary"], test="anova")
    assert anova.tests.loc["monetary", "p_value"] < 1e-10
    # no difference -> no evidence: a feature independent of the labels
    rng = np.random.default_rng(1)
    null = sg.profile(frame.assign(noise=rng.normal(size=len(frame))), truth, features=["noise"])
    assert null.tests.loc["noise", "p_value"] > 0.001
    assert "Kruskal" in prof.tests_table("en").to_text()
    cols = prof.table("zh").to_frame().columns.tolist()
    assert "购买金额均值" in cols and "最近一次购买距今（天）中位数" in cols
    with pytest.raises(DataError, match="no segment label"):
        sg.profile(frame, truth.iloc[:10])


def test_tree_rules_explain_segments(blobs):
    frame, truth = blobs
    text, acc = sg.explain_tree(frame, truth, ["recency", "frequency", "monetary"], max_depth=2)
    assert acc > 0.95
    assert "<=" in text and any(w in text.lower() for w in ("monetary", "frequency", "recency"))
    zh, _ = sg.explain_tree(frame, truth, ["recency", "frequency", "monetary"], max_depth=2,
                            lang="zh")
    assert "购买" in zh   # feature names shown with their Chinese labels


def test_name_segments_from_centres(blobs):
    frame, truth = blobs
    centers = frame.groupby(truth)[["recency", "frequency", "monetary"]].mean()
    en = sg.name_segments(centers, reference=frame, lang="en")
    assert en[0] == "high value, active"
    assert en[1] == "low value, lapsed"
    assert en[2] == "mid value, at risk"
    zh = sg.name_segments(centers, reference=frame, lang="zh")
    assert zh[0] == "高价值、活跃"
    fixed = sg.name_segments(centers, recency_cuts=(100, 200), lang="en")
    assert fixed[2] == "mid value, active"
    with pytest.raises(ParameterError, match="recency_cuts"):
        sg.name_segments(centers, recency_cuts=(200, 100))


def test_named_labels_join_number_and_name(blobs):
    frame, _ = blobs
    res = sg.cluster(frame, ["recency", "frequency", "monetary"], k=3, n_bootstrap=0, seed=3)
    names = sg.name_segments(res.centers_, reference=frame, lang="en")
    labelled = res.named_labels(names)
    assert labelled.name == "segment" and labelled.index.equals(res.labels_.index)
    for seg, name in names.items():
        assert (labelled[res.labels_ == seg] == f"{seg} {name}").all()
    with pytest.raises(ParameterError, match=r"segment\(s\) \[2\]"):
        res.named_labels(names.drop(2))


def test_tiers_high_mid_low():
    f = pd.DataFrame({"value": np.arange(300.0), "potential": np.arange(300.0)[::-1],
                      "loyalty": np.repeat([1.0, 2.0, 3.0], 100)})
    t = sg.tiers(f)
    assert t["value"].value_counts()[["tier.low", "tier.mid", "tier.high"]].tolist() == [100, 100, 100]
    assert t.loc[0, "combined"] == "low-high-low"
    assert t.loc[299, "combined"] == "high-low-high"
    with pytest.raises(ParameterError, match="cuts"):
        sg.tiers(f, cuts=(0.8, 0.2))


def test_tiers_combined_names_follow_lang():
    """Issue 7: the combinations shown in the zh report read 高-低-高, not high-low-high."""
    f = pd.DataFrame({"value": np.arange(300.0), "potential": np.arange(300.0)[::-1],
                      "loyalty": np.repeat([1.0, 2.0, 3.0], 100)})
    zh, en = sg.tiers(f, lang="zh"), sg.tiers(f, lang="en")
    assert zh.loc[299, "combined"] == "高-低-高" and zh.loc[0, "combined"] == "低-高-低"
    assert en["combined"].tolist() == sg.tiers(f)["combined"].tolist()  # en reads as the keys
    assert (zh["value"] == en["value"]).all()  # the tier columns stay language-free keys
    with pytest.raises(ParameterError):
        sg.tiers(f, lang="fr")


def test_type_region_counts():
    d = simulate_distributor(300, seed=0)
    tab = sg.type_region_counts(d, lang="zh")
    assert tab.frame.loc["total", "total"] == 300
    assert tab.frame.loc["retail", "east"] == ((d["customer_type"] == "retail") & (d["region"] == "east")).sum()
    text = tab.to_text()
    assert "零售客户" in text and "华东" in text and "合计" in text
    with pytest.raises(DataError, match="type_col"):
        sg.type_region_counts(d.drop(columns="customer_type"))


def test_segment_figures(blobs):
    import matplotlib.pyplot as plt

    frame, truth = blobs
    feats = ["recency", "frequency", "monetary"]
    res = sg.cluster(frame, feats, k=[2, 3, 4], n_bootstrap=0)
    prof = sg.profile(frame, res.labels_, features=feats)
    f1 = sg.plot_profile(prof, lang="zh")
    f2 = sg.plot_selection(res, lang="en")
    assert (f1.crmlab_key, f2.crmlab_key) == ("segments.profile", "segments.selection")
    # heatmap: standardised segment means (segments x features), annotated with the raw means
    m = prof.summary[[f"{c}_mean" for c in feats]]
    z = ((m - m.mean()) / m.std(ddof=0)).to_numpy()
    np.testing.assert_allclose(np.asarray(f1.axes[0].collections[0].get_array()).reshape(z.shape), z)
    # selection: one line per criterion against k, the chosen k marked
    for ax, col in zip(f2.axes, ("inertia", "silhouette", "calinski_harabasz")):
        np.testing.assert_allclose(ax.lines[0].get_xdata(), res.selection_.index)
        np.testing.assert_allclose(ax.lines[0].get_ydata(), res.selection_[col])
        assert list(ax.lines[1].get_xdata()) == [res.k_, res.k_]
    plt.close(f1)
    plt.close(f2)
