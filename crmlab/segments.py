"""Segmentation and profiling (notebook 04).

* :func:`cluster`: k-means (or a Gaussian mixture) on log-transformed, standardised features,
  with k chosen by silhouette, Calinski–Harabasz or the elbow of the inertia curve (all three
  reported) and stability measured by the bootstrap adjusted Rand index.
* :func:`profile`: per segment size, share of customers against share of revenue, means and
  medians, a value column with its 95% interval, and a test per variable (Kruskal–Wallis or
  ANOVA for numbers, chi-square for categories).
* :func:`explain_tree`: a shallow decision tree that states the segments as plain rules.
* :func:`name_segments`: automatic names from centroid profiles ("high value, at risk").
* :func:`tiers`: high / mid / low on value, potential and loyalty.
* :func:`type_region_counts`: the B2B customer-type × region table (客情统计).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import i18n
from .errors import DataError, ParameterError
from .plots import styled
from .tables import Table, label
from .value._common import _criteria_frame

i18n.register({
    "seg.profile": {"zh": "细分客户画像", "en": "Segment profiles"},
    "seg.tests": {"zh": "细分间差异检验", "en": "Differences between segments"},
    "seg.selection": {"zh": "聚类数选择", "en": "Choosing the number of clusters"},
    "seg.heatmap": {"zh": "细分画像热力图（标准化均值）", "en": "Segment profile heatmap (standardised means)"},
    "seg.counts": {"zh": "客户类型与地区分布（客情统计）", "en": "Customers by type and region"},
    "seg.tiers": {"zh": "价值、潜力与忠诚度分层", "en": "Value, potential and loyalty tiers"},
    "seg.k": {"zh": "聚类数 k", "en": "Number of clusters k"},
    "seg.segment": {"zh": "细分", "en": "Segment"},
    "seg.feature": {"zh": "特征", "en": "Feature"},
    "col.inertia": {"zh": "组内平方和", "en": "Inertia"},
    "col.silhouette": {"zh": "轮廓系数", "en": "Silhouette"},
    "col.calinski_harabasz": {"zh": "CH指数", "en": "Calinski–Harabasz"},
    "col.statistic": {"zh": "统计量", "en": "Statistic"},
    "col.p_value": {"zh": "p值", "en": "p-value"},
    "col.test": {"zh": "检验方法", "en": "Test"},
    "col.value_mean": {"zh": "价值均值", "en": "Mean value"},
    "col.value_ci_low": {"zh": "95%置信下限", "en": "95% CI low"},
    "col.value_ci_high": {"zh": "95%置信上限", "en": "95% CI high"},
    "col.name": {"zh": "名称", "en": "Name"},
    "col.feature": {"zh": "特征", "en": "Feature"},
    "seg.mean_of": {"zh": "{name}均值", "en": "{name}, mean"},
    "seg.median_of": {"zh": "{name}中位数", "en": "{name}, median"},
    "tier.high": {"zh": "高", "en": "high"},
    "tier.mid": {"zh": "中", "en": "mid"},
    "tier.low": {"zh": "低", "en": "low"},
    "test.kruskal": {"zh": "Kruskal-Wallis检验", "en": "Kruskal–Wallis"},
    "test.anova": {"zh": "方差分析", "en": "ANOVA"},
    "test.chi2": {"zh": "卡方检验", "en": "Chi-square"},
    "name.high_value": {"zh": "高价值", "en": "high value"},
    "name.mid_value": {"zh": "中等价值", "en": "mid value"},
    "name.low_value": {"zh": "低价值", "en": "low value"},
    "name.active": {"zh": "活跃", "en": "active"},
    "name.at_risk": {"zh": "有流失风险", "en": "at risk"},
    "name.lapsed": {"zh": "已沉睡", "en": "lapsed"},
    "name.sep": {"zh": "、", "en": ", "},
    # B2B case
    "col.industry_user": {"zh": "行业用户", "en": "Industry user"},
    "col.enterprise": {"zh": "企业客户", "en": "Enterprise"},
    "col.distributor": {"zh": "经销商", "en": "Distributor"},
    "col.retail": {"zh": "零售客户", "en": "Retail"},
    "col.east": {"zh": "华东", "en": "East"},
    "col.south": {"zh": "华南", "en": "South"},
    "col.north": {"zh": "华北", "en": "North"},
    "col.central": {"zh": "华中", "en": "Central"},
    "col.west": {"zh": "西部", "en": "West"},
    "col.customer_type": {"zh": "客户类型", "en": "Customer type"},
    "col.region": {"zh": "地区", "en": "Region"},
    "col.total": {"zh": "合计", "en": "Total"},
})


# ---------------------------------------------------------------------------------------------
# feature preparation
# ---------------------------------------------------------------------------------------------
def _features(frame: pd.DataFrame, features) -> pd.DataFrame:
    if features is None and isinstance(frame, pd.DataFrame):
        features = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
                    and not pd.api.types.is_bool_dtype(frame[c])]
    x = _criteria_frame(frame, features, what="features")
    cols = list(x.columns)
    const = [c for c in cols if x[c].nunique() <= 1]
    if const:
        raise ParameterError(f"features {const} are constant: they carry no information and "
                             f"cannot be standardised. Drop them from features=.")
    return x


def _transform(x: pd.DataFrame, log) -> pd.DataFrame:
    """log1p on the chosen non-negative columns, then standardise (z-scores)."""
    cols = list(x.columns) if log is True else ([] if not log else list(log))
    z = x.copy()
    for c in cols:
        if c not in z.columns:
            raise ParameterError(f"log column {c!r} is not a feature.")
        if (z[c] < 0).any():
            if log is True:
                continue  # negative columns are left on their own scale
            raise DataError(f"feature {c!r} has negative values; log1p needs values >= 0.")
        z[c] = np.log1p(z[c])
    sd = z.std(ddof=0)
    if (sd == 0).any():
        raise ParameterError(f"features {list(sd.index[sd == 0])} are constant after the "
                             f"transform; drop them.")
    return (z - z.mean()) / sd


def _elbow(ks: Sequence[int], inertia: Sequence[float]) -> int:
    """The k farthest from the straight line joining the first and last inertia points."""
    k = np.asarray(ks, dtype=float)
    y = np.asarray(inertia, dtype=float)
    if len(k) < 3:
        return int(k[0])
    xn = (k - k[0]) / (k[-1] - k[0])
    yn = (y - y.min()) / (y.max() - y.min() if y.max() > y.min() else 1.0)
    # line from (0, yn0) to (1, yn-1): distance of each point to it
    dist = np.abs((yn[-1] - yn[0]) * xn - (yn - yn[0]))
    return int(k[int(np.argmax(dist))])


# ---------------------------------------------------------------------------------------------
# clustering
# ---------------------------------------------------------------------------------------------
@dataclass
class ClusterResult:
    """Result of :func:`cluster`.

    Attributes
    ----------
    labels_ : Series
        Segment number (0..k−1) per customer, ordered so that segment 0 has the highest mean
        of the first feature.
    k_ : int
    selection_ : DataFrame
        Per candidate k: ``inertia`` (k-means only), ``silhouette``, ``calinski_harabasz``,
        and which k each criterion picks (``.attrs["choice"]``).
    centers_ : DataFrame
        Mean of each original feature per segment.
    stability_ : float or None
        Mean adjusted Rand index between the fit and refits on bootstrap samples.
    model_ : the fitted scikit-learn estimator.
    """

    labels_: pd.Series
    k_: int
    selection_: pd.DataFrame
    centers_: pd.DataFrame
    stability_: float | None
    model_: object = field(repr=False)
    features_: list = field(default_factory=list)

    def named_labels(self, names: pd.Series) -> pd.Series:
        """Per customer, the segment number and its name, e.g. "0 高价值、活跃" ("segment").

        ``names`` maps segment numbers to names, as returned by :func:`name_segments`.
        """
        missing = sorted(int(k) for k in set(self.labels_.unique()) - set(names.index))
        if missing:
            raise ParameterError(f"names has no name for segment(s) {missing}; pass "
                                 "name_segments(result.centers_, ...) of this clustering.")
        return (self.labels_.astype(str) + " " + self.labels_.map(names)).rename("segment")

    def selection_table(self, lang: str = "zh") -> Table:
        ch = self.selection_.attrs.get("choice", {})
        note = {"zh": "；".join(f"{k}: k = {v}" for k, v in ch.items()),
                "en": "; ".join(f"{k}: k = {v}" for k, v in ch.items())}
        return Table(self.selection_, "segments.selection", i18n.t("seg.selection", lang),
                     lang=lang, note=note)


def _fit(z: np.ndarray, k: int, method: str, seed: int):
    if method == "kmeans":
        from sklearn.cluster import KMeans

        m = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(z)
        return m, m.labels_, float(m.inertia_)
    from sklearn.mixture import GaussianMixture

    m = GaussianMixture(n_components=k, random_state=seed, n_init=2).fit(z)
    return m, m.predict(z), float("nan")


def cluster(frame: pd.DataFrame, features=None, *, k=range(2, 9), method: str = "kmeans",
            choose: str = "silhouette", log=True, seed: int = 0, n_bootstrap: int = 10,
            silhouette_sample: int = 5000, selection_sample: int | None = 20000) -> ClusterResult:
    """Cluster customers on log-transformed, standardised features.

    Parameters
    ----------
    frame : DataFrame
        One row per customer (e.g. an RFM table, with CLV or P(alive) columns).
    features : sequence of str, optional
        Columns to use (default every numeric column).
    k : int or sequence of int
        A fixed k, or the candidates to choose from.
    method : {"kmeans", "gmm"}
    choose : {"silhouette", "calinski_harabasz", "elbow"}
        Criterion that picks k among the candidates (all three are reported).
    log : bool or sequence of str
        log1p these columns before standardising (True = every non-negative column).
    seed : int
        Seeds k-means/GMM, the silhouette subsample and the bootstrap.
    n_bootstrap : int
        Bootstrap refits for the stability ARI (0 = skip).
    silhouette_sample : int
        Customers used for the silhouette score (it is quadratic in n).
    selection_sample : int or None
        Customers used to compare the candidate k (the final fit uses everyone).

    Raises
    ------
    ParameterError
        On constant features, an unknown method/criterion or a k outside 2..n−1.
    """
    from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, silhouette_score

    if method not in ("kmeans", "gmm"):
        raise ParameterError(f"method={method!r}; use 'kmeans' or 'gmm'.")
    if choose not in ("silhouette", "calinski_harabasz", "elbow"):
        raise ParameterError(f"choose={choose!r}; use 'silhouette', 'calinski_harabasz' or 'elbow'.")
    if choose == "elbow" and method != "kmeans":
        raise ParameterError("choose='elbow' uses the k-means inertia; use method='kmeans'.")
    x = _features(frame, features)
    n = len(x)
    ks = [int(k)] if np.isscalar(k) else sorted({int(v) for v in k})
    if not ks or ks[0] < 2 or ks[-1] >= n:
        raise ParameterError(f"k={k!r}: every candidate must be between 2 and n−1 = {n - 1}.")
    z = _transform(x, log).to_numpy()
    rng = np.random.default_rng(seed)
    zs = z
    if selection_sample is not None and n > selection_sample and len(ks) > 1:
        zs = z[rng.choice(n, selection_sample, replace=False)]
    rows = []
    for kk in ks:
        _, lab, inertia = _fit(zs, kk, method, seed)
        n_lab = len(np.unique(lab))
        sil = (silhouette_score(zs, lab, sample_size=min(silhouette_sample, len(zs)),
                                random_state=seed) if n_lab > 1 else np.nan)
        ch = calinski_harabasz_score(zs, lab) if n_lab > 1 else np.nan
        rows.append({"k": kk, "inertia": inertia, "silhouette": sil, "calinski_harabasz": ch})
    sel = pd.DataFrame(rows).set_index("k")
    choice = {"silhouette": int(sel["silhouette"].idxmax()),
              "calinski_harabasz": int(sel["calinski_harabasz"].idxmax())}
    if method == "kmeans":
        choice["elbow"] = _elbow(ks, sel["inertia"].tolist())
    sel.attrs["choice"] = choice
    k_best = choice[choose] if len(ks) > 1 else ks[0]
    model, lab, _ = _fit(z, k_best, method, seed)
    # stable numbering: segment 0 = highest mean of the first feature
    first = x.iloc[:, 0].to_numpy()
    means = [first[lab == j].mean() if np.any(lab == j) else -np.inf for j in range(k_best)]
    remap = np.empty(k_best, dtype=int)
    remap[np.argsort(means)[::-1]] = np.arange(k_best)
    lab = remap[lab]
    labels = pd.Series(lab, index=x.index, name="segment")
    centers = x.groupby(lab).mean()
    centers.index.name = "segment"
    stab = None
    if n_bootstrap:
        aris = []
        for b in range(n_bootstrap):
            idx = rng.choice(n, n, replace=True)
            mb, _, _ = _fit(z[idx], k_best, method, seed + b + 1)
            aris.append(adjusted_rand_score(lab, mb.predict(z)))
        stab = float(np.mean(aris))
    return ClusterResult(labels_=labels, k_=k_best, selection_=sel, centers_=centers,
                         stability_=stab, model_=model, features_=list(x.columns))


# ---------------------------------------------------------------------------------------------
# profiling
# ---------------------------------------------------------------------------------------------
@dataclass
class Profile:
    """Result of :func:`profile`: the per-segment ``summary`` and per-variable ``tests``."""

    summary: pd.DataFrame
    tests: pd.DataFrame

    def table(self, lang: str = "zh") -> Table:
        """The summary with feature columns named in ``lang`` ("销售额均值" / "Sales value, mean")."""
        def name(col: str) -> str:
            for suffix in ("mean", "median"):
                if col.endswith("_" + suffix) and not col.startswith("value_"):
                    return i18n.t(f"seg.{suffix}_of", lang, name=label(col[:-len(suffix) - 1], lang))
            return col
        frame = self.summary.rename(columns=name)
        return Table(frame, "segments.profile", i18n.t("seg.profile", lang), lang=lang)

    def tests_table(self, lang: str = "zh") -> Table:
        t = self.tests.copy()
        t["test"] = t["test"].map(lambda k: i18n.t(f"test.{k}", lang))
        return Table(t, "segments.tests", i18n.t("seg.tests", lang), lang=lang)


def profile(frame: pd.DataFrame, labels, *, features=None, revenue: str | None = None,
            value: str | None = None, categorical=(), test: str = "kruskal") -> Profile:
    """Profile segments: size, shares, means and medians, and tests across segments.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    labels : Series or str
        Segment per customer (same index), or the name of a column of ``frame``.
    features : sequence of str, optional
        Numeric columns to describe and test (default every numeric column).
    revenue : str, optional
        Column whose share per segment is reported next to the share of customers.
    value : str, optional
        A value column (e.g. CLV) reported with its mean and 95% t-interval per segment.
    categorical : sequence of str
        Category columns (type, region, channel) tested with chi-square.
    test : {"kruskal", "anova"}
        Kruskal–Wallis (scipy) or one-way ANOVA (statsmodels ``anova_oneway``) per feature.
    """
    from scipy import stats

    if test not in ("kruskal", "anova"):
        raise ParameterError(f"test={test!r}; use 'kruskal' or 'anova'.")
    if isinstance(labels, str):
        if labels not in frame.columns:
            raise DataError(f"labels column {labels!r} is not in the frame.")
        lab = frame[labels]
        frame = frame.drop(columns=[labels])
    else:
        lab = pd.Series(labels, index=frame.index) if not isinstance(labels, pd.Series) else labels
        lab = lab.reindex(frame.index)
    if lab.isna().any():
        raise DataError(f"{int(lab.isna().sum())} customers have no segment label.")
    if lab.nunique() < 2:
        raise DataError("profile needs at least two segments.")
    cats = list(categorical)
    num_cols = list(features) if features is not None else [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c]) and c not in cats]
    x = frame[num_cols].astype("float64") if num_cols else pd.DataFrame(index=frame.index)
    g = x.groupby(lab, observed=True)
    summary = pd.DataFrame({"n_customers": lab.groupby(lab, observed=True).size()})
    summary["share_customers"] = summary["n_customers"] / len(lab)
    if revenue is not None:
        if revenue not in frame.columns:
            raise DataError(f"revenue column {revenue!r} is not in the frame.")
        rev = frame[revenue].astype("float64")
        summary["share_revenue"] = rev.groupby(lab, observed=True).sum() / rev.sum()
    if value is not None:
        if value not in frame.columns:
            raise DataError(f"value column {value!r} is not in the frame.")
        v = frame[value].astype("float64").groupby(lab, observed=True)
        m, s, cnt = v.mean(), v.std(ddof=1), v.size()
        half = stats.t.ppf(0.975, np.maximum(cnt - 1, 1)) * s / np.sqrt(cnt)
        summary["value_mean"] = m
        summary["value_ci_low"] = m - half
        summary["value_ci_high"] = m + half
    for c in num_cols:
        summary[f"{c}_mean"] = g[c].mean()
        summary[f"{c}_median"] = g[c].median()
    summary.index.name = "segment"
    rows = []
    for c in num_cols:
        groups = [grp.to_numpy() for _, grp in x[c].groupby(lab, observed=True)]
        if test == "kruskal":
            if x[c].nunique() <= 1:
                stat, p = np.nan, np.nan
            else:
                res = stats.kruskal(*groups)
                stat, p = float(res.statistic), float(res.pvalue)
        else:
            from statsmodels.stats.oneway import anova_oneway

            res = anova_oneway(groups, use_var="equal")
            stat, p = float(res.statistic), float(res.pvalue)
        rows.append({"feature": c, "test": test, "statistic": stat, "p_value": p})
    for c in cats:
        if c not in frame.columns:
            raise DataError(f"categorical column {c!r} is not in the frame.")
        tab = pd.crosstab(lab, frame[c])
        chi2, p, _, _ = stats.chi2_contingency(tab)
        rows.append({"feature": c, "test": "chi2", "statistic": float(chi2), "p_value": float(p)})
    tests = pd.DataFrame(rows, columns=["feature", "test", "statistic", "p_value"]).set_index("feature")
    return Profile(summary=summary, tests=tests)


def explain_tree(frame: pd.DataFrame, labels, features=None, *, max_depth: int = 3,
                 seed: int = 0, lang: str = "en") -> tuple[str, float]:
    """A shallow decision tree that restates the segments as plain if/then rules.

    Returns ``(rules_text, accuracy)``: scikit-learn's ``export_text`` of the tree and its
    accuracy on the same customers (how faithfully the rules reproduce the segments).
    Feature names in the text are translated with ``"col.<name>"`` labels when ``lang="zh"``.
    """
    from sklearn.tree import DecisionTreeClassifier, export_text


    x = _features(frame, features)
    lab = labels.reindex(x.index) if isinstance(labels, pd.Series) else pd.Series(labels, index=x.index)
    tree = DecisionTreeClassifier(max_depth=int(max_depth), random_state=seed).fit(x, lab.astype(str))
    names = [str(label(c, lang)) for c in x.columns]
    text = export_text(tree, feature_names=names, decimals=2)
    return text, float(tree.score(x, lab.astype(str)))


def name_segments(centers: pd.DataFrame, *, value_cols=("monetary", "frequency"),
                  recency: str = "recency", reference: pd.DataFrame | None = None,
                  recency_cuts=None, lang: str = "zh") -> pd.Series:
    """Automatic names from centroid profiles, e.g. "高价值、有流失风险" / "high value, at risk".

    Value is high/mid/low by the segment's mean rank of ``value_cols`` among the segments
    (top third / middle / bottom). Activity is read from the segment's ``recency`` (time since
    the last purchase): up to the first cut → active, above the second → lapsed, otherwise at
    risk. The cuts are ``recency_cuts`` (in the unit of the recency column) or, by default, the
    tertiles of ``reference[recency]`` (the customers; default the centres themselves).
    """
    ref = centers if reference is None else reference
    cols = [c for c in value_cols if c in centers.columns]
    if not cols:
        raise DataError(f"centers need at least one of {list(value_cols)} to name segments.")
    if recency_cuts is None and recency in ref.columns:
        recency_cuts = tuple(ref[recency].quantile([1 / 3, 2 / 3]))
    if recency_cuts is not None and (len(recency_cuts) != 2 or recency_cuts[0] > recency_cuts[1]):
        raise ParameterError(f"recency_cuts={recency_cuts!r} must be two increasing values.")
    vrank = centers[cols].rank(pct=True).mean(axis=1)
    names = {}
    sep = i18n.t("name.sep", lang)
    for seg, vr in vrank.items():
        level = "high_value" if vr > 2 / 3 else ("mid_value" if vr > 1 / 3 else "low_value")
        parts = [i18n.t(f"name.{level}", lang)]
        if recency in centers.columns and recency_cuts is not None:
            r = centers.loc[seg, recency]
            state = ("active" if r <= recency_cuts[0] else
                     "lapsed" if r > recency_cuts[1] else "at_risk")
            parts.append(i18n.t(f"name.{state}", lang))
        names[seg] = sep.join(parts)
    return pd.Series(names, name="name")


# ---------------------------------------------------------------------------------------------
# tiers and B2B counts
# ---------------------------------------------------------------------------------------------
def tiers(frame: pd.DataFrame, columns=("value", "potential", "loyalty"), *,
          cuts=(1 / 3, 2 / 3), lang: str | None = None) -> pd.DataFrame:
    """High / mid / low on each column, by quantile rank (ties share a tier).

    A customer is *low* when the share of customers strictly below them is under ``cuts[0]``,
    *high* when it is at least ``cuts[1]``, *mid* otherwise. Returns one ordered categorical
    column per input column (keys ``tier.low``/``tier.mid``/``tier.high``) and ``combined``
    (e.g. ``"high-mid-low"``; with ``lang`` the tier names in that language, ``"高-中-低"``).
    """
    lo, hi = (float(c) for c in cuts)
    if not 0 < lo < hi < 1:
        raise ParameterError(f"cuts={cuts!r} must be two increasing shares in (0, 1).")
    x = _criteria_frame(frame, list(columns), what="tier")
    out = pd.DataFrame(index=frame.index)
    keys = ["tier.low", "tier.mid", "tier.high"]
    for c in x.columns:
        v = x[c].to_numpy()
        below = np.searchsorted(np.sort(v), v, side="left") / len(v)
        code = np.where(below < lo, 0, np.where(below >= hi, 2, 1))
        out[c] = pd.Categorical.from_codes(code, categories=keys, ordered=True)
    if lang is not None:
        lang = i18n.check_lang(lang)
    name = (lambda k: i18n.t(k, lang)) if lang is not None else (lambda k: k.split(".")[1])
    out["combined"] = ["-".join(name(k) for k in row) for row in
                       zip(*(out[c].astype(str) for c in x.columns))]
    return out


def type_region_counts(frame: pd.DataFrame, type_col: str = "customer_type",
                       region_col: str = "region", *, lang: str = "zh") -> Table:
    """Counts of customers by type and region with totals (客情统计)."""
    for c in (type_col, region_col):
        if c not in frame.columns:
            raise DataError(f"column {c!r} is not in the frame; pass type_col=/region_col=.")
    tab = pd.crosstab(frame[type_col], frame[region_col], margins=True, margins_name="total")
    tab.index.name = type_col
    tab.columns.name = None
    return Table(tab, "segments.type_region", i18n.t("seg.counts", lang), lang=lang)


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
@styled
def plot_profile(prof: Profile | pd.DataFrame, lang: str = "zh", features=None):
    """Heatmap of standardised segment means (segments × features)."""
    import seaborn as sns

    from .plots import figure

    summary = prof.summary if isinstance(prof, Profile) else prof
    cols = [c for c in summary.columns if c.endswith("_mean") and c != "value_mean"]
    if features is not None:
        cols = [f"{c}_mean" for c in features]
    m = summary[cols]
    z = (m - m.mean()) / m.std(ddof=0).replace(0, 1)
    z.columns = [label(c[:-5], lang) for c in cols]
    fig, ax = figure("segments.profile", i18n.t("seg.heatmap", lang))
    sns.heatmap(z, ax=ax, cmap="RdBu_r", center=0, annot=m.to_numpy(), fmt=".3g")
    ax.set_ylabel(i18n.t("seg.segment", lang))
    return fig


@styled
def plot_selection(result: ClusterResult, lang: str = "zh"):
    """Inertia (elbow), silhouette and Calinski–Harabasz against k."""
    from .plots import figure

    sel = result.selection_
    fig, axes = figure("segments.selection", i18n.t("seg.selection", lang), ncols=3,
                       figsize=(10.0, 3.2))
    for ax, col in zip(axes, ("inertia", "silhouette", "calinski_harabasz")):
        ax.plot(sel.index, sel[col], marker="o")
        ax.axvline(result.k_, color="grey", ls="--")
        ax.set_title(i18n.t(f"col.{col}", lang))
        ax.set_xlabel(i18n.t("seg.k", lang))
    return fig
