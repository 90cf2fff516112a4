"""RFM analysis (notebook 02): scores, segment rule sets, multi-criteria selection, validation.

Pipeline::

    table = crmlab.rfm_table(tx, analysis_date="1998-07-01")   # recency (days), frequency, monetary
    scores = rfm.score(table, bins=5)                          # R, F, M, code, score
    seg = rfm.segment(scores, rules="cn8")                     # one segment per customer

Scoring rule (and why ties matter)
----------------------------------
Each dimension is oriented so that higher is better (recency is reversed: 5 = most recent).
With ``method="quantile"`` a customer's score is ``1 + floor(bins · k / n)``, where ``k`` is
the number of customers strictly worse on that dimension and ``n`` the number of customers
(``ties="min"``, the default). Equal values therefore always get equal scores, and the result
does not depend on row order. Naive ``pd.qcut(x.rank(method="first"))`` splits a tie group
between bins by row order, which is why two RFM programs on the same data disagree. With heavy
ties (most customers bought once) some scores go unused: that is the honest reading of the data.
``ties="id"`` instead orders tied customers by customer id and gives bins of equal size.

Segment rule sets are data (``crmlab/rules/rfm_*.yml``): ``classic10`` (R ``rfm`` package map,
first match wins), ``quartile5`` (pymc-marketing's quartile codes) and ``cn8`` (the Chinese
8-class model, high/low at the mean or median). A user mapping or YAML file works the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .errors import DataError, ParameterError
from .plots import styled
from .tables import Table
from .value._common import _criteria_frame, _rank_desc, _sign
from .value.mcda import _weights_for, entropy_weights, minmax, topsis

RULES_DIR = Path(__file__).parent / "rules"
BUILTIN_RULES = ("classic10", "quartile5", "cn8")
# rules="auto": the built-in score map defined on each number of points
AUTO_RULES = {5: "classic10", 4: "quartile5"}
DIMENSIONS = {"R": "recency", "F": "frequency", "M": "monetary"}
OTHER = "other"

i18n.register({
    "col.R": {"zh": "R得分", "en": "R score"},
    "col.F": {"zh": "F得分", "en": "F score"},
    "col.M": {"zh": "M得分", "en": "M score"},
    "col.code": {"zh": "RFM编码", "en": "RFM code"},
    "col.score": {"zh": "综合得分", "en": "Weighted score"},
    "col.repurchase_rate": {"zh": "验证期复购率", "en": "Holdout repurchase rate"},
    "col.mean_revenue": {"zh": "验证期人均收入", "en": "Holdout revenue per customer"},
    "col.lift": {"zh": "提升度", "en": "Lift"},
    "col.mean_score": {"zh": "平均得分", "en": "Mean score"},
    "col.selected": {"zh": "入选", "en": "Selected"},
    "col.rank": {"zh": "排名", "en": "Rank"},
    "rfm.other": {"zh": "其他", "en": "Other"},
    "rfm.heatmap": {"zh": "RFM热力图：按R、F得分的平均消费金额",
                    "en": "RFM heatmap: mean monetary value by R and F score"},
    "rfm.segments": {"zh": "RFM客户细分：客户与收入占比", "en": "RFM segments: share of customers and revenue"},
    "rfm.validation": {"zh": "RFM预测效度：验证期表现", "en": "Does RFM predict? Holdout performance"},
    "rfm.selection": {"zh": "多指标综合评价：前20%客户", "en": "Multi-criteria selection of the top customers"},
    "rfm.counts": {"zh": "各细分客户数", "en": "Customers per segment"},
})


def __getattr__(name: str):
    # rfm_table lives in crmlab.summary (one place computes per-customer statistics); it is
    # re-exported here lazily so this module imports even while the summary engine loads.
    if name == "rfm_table":
        return importlib.import_module("crmlab.summary").rfm_table
    raise AttributeError(f"module 'crmlab.rfm' has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# scoring
# ---------------------------------------------------------------------------------------------
def _column(table: pd.DataFrame, dim: str, columns: Mapping[str, str]) -> np.ndarray:
    col = columns[dim]
    if col not in table.columns:
        raise DataError(f"the RFM table has no {col!r} column (needed for {dim}); it has "
                        f"{list(table.columns)[:12]}. Build it with crmlab.rfm_table(...) or pass "
                        f"columns={{'{dim}': 'your_column'}}.")
    s = table[col]
    if not pd.api.types.is_numeric_dtype(s):
        raise DataError(f"column {col!r} ({dim}) is not numeric.")
    x = s.to_numpy(dtype="float64")
    if np.isnan(x).any():
        raise DataError(f"column {col!r} ({dim}) has {int(np.isnan(x).sum())} missing values; "
                        f"RFM scores need a value for every customer.")
    return x


def _tie_key(index: pd.Index) -> np.ndarray:
    """Rank of each customer id in sorted order, used to break ties with ``ties='id'``."""
    vals = index.to_numpy()
    try:
        order = np.argsort(vals, kind="stable")
    except TypeError:
        order = np.argsort(vals.astype(str), kind="stable")
    key = np.empty(len(vals), dtype=np.int64)
    key[order] = np.arange(len(vals))
    return key


def _quantile_scores(v: np.ndarray, bins: int, ties: str, index: pd.Index) -> np.ndarray:
    """Scores 1..bins for ``v`` (higher is better), order-invariant; see the module docstring.

    ``min`` needs only the bins−1 order statistics; ``average`` sorts once, finds the tie
    groups and gives each customer the centre of its group; ``id`` sorts by (value, id).
    """
    n = v.size
    if ties == "min":
        # floor(bins·k/n) >= j  <=>  k >= m_j = ceil(j·n/bins)  <=>  v > (m_j-th smallest value),
        # so only bins−1 order statistics are needed: a partition instead of a full sort.
        m = -(-np.arange(1, bins) * n // bins)
        th = np.partition(v, m - 1)[m - 1]
        return (1 + np.searchsorted(th, v, side="left")).astype(np.int8)
    if ties == "id":
        order = np.lexsort((_tie_key(index), v))
        k = np.empty(n, dtype="float64")
        k[order] = np.arange(n)
    else:
        order = np.argsort(v)
        srt = v[order]
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(srt[1:], srt[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        group = np.cumsum(new) - 1
        pos = starts if ties == "min" else (starts + np.r_[starts[1:], n] - 1) / 2
        k = np.empty(n, dtype="float64")
        k[order] = pos[group]
    return (1 + np.floor(bins * k / n)).astype(np.int8)


def _break_scores(v: np.ndarray, edges, bins: int, dim: str, reverse: bool) -> np.ndarray:
    e = np.asarray(edges, dtype="float64")
    if e.ndim != 1 or e.size != bins - 1 or np.any(np.diff(e) <= 0):
        raise ParameterError(f"breaks for {dim} must be {bins - 1} increasing inner cut points "
                             f"(for bins={bins}); got {list(np.atleast_1d(e))}.")
    s = 1 + np.searchsorted(e, v, side="right")
    return (bins + 1 - s if reverse else s).astype(np.int8)


def _code(r, f, m, bins) -> pd.Categorical:
    """The R/F/M code ("545") as a categorical over all bins³ patterns, built without strings."""
    idx = (r.astype(np.int32) - 1) * bins * bins + (f.astype(np.int32) - 1) * bins + (m - 1)
    sep = "" if bins <= 9 else "-"
    cats = [sep.join(map(str, p)) for p in product(range(1, bins + 1), repeat=3)]
    return pd.Categorical.from_codes(idx, categories=cats)


def score(table: pd.DataFrame, bins: int = 5, method: str = "quantile", breaks=None,
          weights=None, *, ties: str = "min", columns=None) -> pd.DataFrame:
    """RFM scores 1..``bins`` on each dimension, the combined code and a weighted score.

    Parameters
    ----------
    table : DataFrame
        Indexed by customer, with ``recency`` (time since last purchase: lower is better),
        ``frequency`` and ``monetary`` (see :func:`crmlab.rfm_table`).
    bins : int
        Points per dimension (5 for the 5-point scale, 4 for quartiles).
    method : {"quantile", "breaks"}
        Quantile scores (rule in the module docstring) or fixed cut points.
    breaks : mapping, optional
        For ``method="breaks"``: ``{"R"|"recency": [...], "F": [...], "M": [...]}``, each
        ``bins − 1`` increasing inner cut points on the raw scale; a value equal to a cut point
        goes to the upper bin (for recency: the less recent one).
    weights : mapping, sequence, Series or AhpResult, optional
        Weights of R, F, M in the weighted ``score`` (normalised to sum 1; default equal).
    ties : {"min", "average", "id"}
        Quantile tie rule: tied customers share the score of the lowest rank of their group
        (``"min"``) or of its mean rank (``"average"``); ``"id"`` splits them by customer id.
    columns : mapping, optional
        ``{"R": "recency", "F": "frequency", "M": "monetary"}`` overrides.

    Returns
    -------
    DataFrame indexed by customer: ``recency``, ``frequency``, ``monetary`` (raw, kept for
    rule sets that split raw values), ``R``, ``F``, ``M`` (int8), ``code`` (categorical) and
    ``score`` (weighted mean of R, F, M). ``.attrs["bins"]`` records the scale.

    Raises
    ------
    ParameterError
        If ``bins`` exceeds the number of distinct values of a dimension, the weights do not
        name R, F and M, or breaks are malformed.
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError("score() needs the RFM table as a DataFrame (crmlab.rfm_table).")
    if int(bins) != bins or not 2 <= bins <= 20:
        raise ParameterError(f"bins={bins!r} must be a whole number from 2 to 20.")
    bins = int(bins)
    if method not in ("quantile", "breaks"):
        raise ParameterError(f"method={method!r}; use 'quantile' or 'breaks'.")
    if ties not in ("min", "average", "id"):
        raise ParameterError(f"ties={ties!r}; use 'min', 'average' or 'id'.")
    cols = dict(DIMENSIONS)
    if columns:
        unknown = set(columns) - set(cols)
        if unknown:
            raise ParameterError(f"columns keys {sorted(unknown)} must be among R, F, M.")
        cols.update(columns)
    if len(table) == 0:
        raise DataError("the RFM table is empty: no customers to score.")
    if "T" in table.columns and cols["R"] == "recency":
        # a crmlab.summarise() frame: its recency is the age at the last purchase (large is good)
        raise ParameterError(
            "this looks like a crmlab.summarise() frame (it has T): its recency is the time from "
            "the first to the last purchase, where larger is better, not the time since the last "
            "purchase that RFM scores. Build the table with crmlab.rfm_table(tx, analysis_date=...).")
    raw = {dim: _column(table, dim, cols) for dim in cols}
    out = {}
    for dim, x in raw.items():
        if method == "quantile":
            # a sample that already shows `bins` distinct values settles it without a full pass
            n_distinct = len(pd.unique(x[:10_000]))
            if n_distinct < bins:
                n_distinct = len(pd.unique(x))
            if bins > n_distinct:
                raise ParameterError(
                    f"bins={bins} but {cols[dim]!r} ({dim}) has only {n_distinct} distinct "
                    f"values: quantile scores cannot fill {bins} bins. Use bins<={n_distinct}, "
                    f"or method='breaks' with your own cut points.")
            v = -x if dim == "R" else x
            out[dim] = _quantile_scores(v, bins, ties, table.index)
        else:
            if breaks is None:
                raise ParameterError("method='breaks' needs breaks={'R': [...], 'F': [...], "
                                     "'M': [...]}.")
            edges = breaks.get(dim, breaks.get(cols[dim]))
            if edges is None:
                raise ParameterError(f"breaks has no cut points for {dim} ({cols[dim]!r}).")
            out[dim] = _break_scores(x, edges, bins, dim, reverse=(dim == "R"))
    w = _rfm_weights(weights)
    res = pd.DataFrame({cols[d]: raw[d] for d in cols}, index=table.index)
    res.columns = ["recency", "frequency", "monetary"]
    res["R"], res["F"], res["M"] = out["R"], out["F"], out["M"]
    res["code"] = _code(out["R"], out["F"], out["M"], bins)
    res["score"] = w["R"] * out["R"] + w["F"] * out["F"] + w["M"] * out["M"]
    res.attrs["bins"] = bins
    res.attrs["method"] = method
    res.attrs["ties"] = ties
    res.attrs["weights"] = dict(w)
    return res


def _rfm_weights(weights) -> dict[str, float]:
    if weights is None:
        return {"R": 1 / 3, "F": 1 / 3, "M": 1 / 3}
    if hasattr(weights, "weights") and isinstance(weights.weights, pd.Series):
        weights = weights.weights
    alias = {"recency": "R", "frequency": "F", "monetary": "M"}
    if isinstance(weights, (Mapping, pd.Series)):
        w = {alias.get(str(k), str(k)): float(v) for k, v in dict(weights).items()}
        if set(w) != {"R", "F", "M"}:
            raise ParameterError(f"weights name {sorted(w)}; give exactly one weight for each of "
                                 f"R, F and M.")
    else:
        arr = np.asarray(weights, dtype="float64").ravel()
        if arr.size != 3:
            raise ParameterError(f"{arr.size} weights given; give three, for R, F and M.")
        w = dict(zip("RFM", arr))
    total = sum(w.values())
    if any(v < 0 for v in w.values()) or total <= 0:
        raise ParameterError("RFM weights must be non-negative with a positive sum.")
    return {k: v / total for k, v in w.items()}


# ---------------------------------------------------------------------------------------------
# segment rule sets
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleSet:
    """A validated segment rule set (see the YAML files in ``crmlab/rules``)."""

    name: str
    kind: str                  # "grid" | "codes" | "split"
    bins: int | None
    precedence: str | None     # "first" or None (rules must not overlap)
    segments: tuple            # tuple of dicts with key, zh, en and conditions
    split: str | None = None

    def labels(self, lang: str) -> dict[str, str]:
        out = {s["key"]: s[lang] for s in self.segments}
        out[OTHER] = i18n.t("rfm.other", lang)
        return out

    def keys(self) -> list[str]:
        return [s["key"] for s in self.segments] + [OTHER]


@cache
def _builtin(name: str) -> dict:
    import yaml

    return yaml.safe_load((RULES_DIR / f"rfm_{name}.yml").read_text(encoding="utf-8"))


def load_rules(rules) -> RuleSet:
    """Resolve ``rules`` (a built-in name, a path to YAML, or a mapping) into a :class:`RuleSet`.

    Mappings may be a full spec (``{"kind": ..., "segments": [...]}``, as in the YAML files) or
    pymc-marketing style ``{segment_name: [codes...]}``; the latter states no precedence, so a
    code listed twice is refused.
    """
    if isinstance(rules, RuleSet):
        return rules
    if isinstance(rules, (str, Path)):
        if str(rules) in BUILTIN_RULES:
            spec = _builtin(str(rules))
        else:
            path = Path(rules)
            if not path.exists():
                raise ParameterError(f"rules={str(rules)!r} is neither a built-in rule set "
                                     f"({', '.join(BUILTIN_RULES)}) nor an existing YAML file.")
            import yaml

            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    elif isinstance(rules, Mapping):
        spec = dict(rules)
    else:
        raise ParameterError(f"rules must be one of {BUILTIN_RULES}, a YAML path or a mapping; "
                             f"got {type(rules).__name__}.")
    if "segments" not in spec:  # pymc-marketing style {name: [codes]}
        segs = []
        for name, codes in spec.items():
            if isinstance(codes, str) or not isinstance(codes, Sequence):
                raise ParameterError(f"segment {name!r}: give a list of codes like ['555', '554'].")
            segs.append({"key": str(name), "zh": str(name), "en": str(name),
                         "codes": [str(c) for c in codes]})
        spec = {"name": "custom", "kind": "codes", "precedence": None, "segments": segs,
                "bins": None}
    return _validate_rules(spec)


def _validate_rules(spec: Mapping) -> RuleSet:
    kind = spec.get("kind", "grid")
    name = str(spec.get("name", "custom"))
    if kind not in ("grid", "codes", "split"):
        raise ParameterError(f"rule set {name!r}: kind={kind!r}; use 'grid', 'codes' or 'split'.")
    prec = spec.get("precedence")
    if prec not in (None, "first"):
        raise ParameterError(f"rule set {name!r}: precedence={prec!r}; use 'first' (first "
                             f"matching rule wins) or leave it out for non-overlapping rules.")
    segs = []
    keys = set()
    for s in spec.get("segments") or []:
        s = dict(s)
        if "key" not in s:
            raise ParameterError(f"rule set {name!r}: a segment lacks 'key': {s!r}.")
        s["key"] = str(s["key"])
        if s["key"] in keys or s["key"] == OTHER:
            raise ParameterError(f"rule set {name!r}: segment key {s['key']!r} is used twice or "
                                 f"is reserved.")
        keys.add(s["key"])
        s.setdefault("zh", s["key"])
        s.setdefault("en", s["key"])
        if kind == "split":
            for d in "RFM":
                if s.get(d) not in ("high", "low", None):
                    raise ParameterError(f"segment {s['key']!r}: {d} must be 'high' or 'low'.")
        elif kind == "grid":
            for d in "RFM":
                rng = s.get(d)
                if rng is not None and (not isinstance(rng, Sequence) or len(rng) != 2
                                        or rng[0] > rng[1]):
                    raise ParameterError(f"segment {s['key']!r}: {d} must be [low, high] "
                                         f"(inclusive); got {rng!r}.")
        else:
            if not s.get("codes"):
                raise ParameterError(f"segment {s['key']!r} lists no codes.")
            s["codes"] = [str(c) for c in s["codes"]]
        segs.append(s)
    if not segs:
        raise ParameterError(f"rule set {name!r} has no segments.")
    bins = spec.get("bins")
    return RuleSet(name=name, kind=kind, bins=None if bins is None else int(bins),
                   precedence=prec, segments=tuple(segs),
                   split=spec.get("split", "mean") if kind == "split" else None)


def _resolve(rs: RuleSet, hits: list[np.ndarray], describe) -> np.ndarray:
    """Segment index per pattern from each segment's boolean ``hits`` over the patterns.

    With ``precedence: first`` the first listed segment that matches wins; without stated
    precedence a pattern matched by two segments is an error (``describe(i)`` names it).
    Unmatched patterns get ``len(segments)``, the "other" segment.
    """
    h = np.vstack(hits)
    n_match = h.sum(axis=0)
    if rs.precedence is None and np.any(n_match > 1):
        bad = np.flatnonzero(n_match > 1)
        i = int(bad[0])
        ks = [rs.segments[j]["key"] for j in np.flatnonzero(h[:, i])]
        raise ParameterError(
            f"rule set {rs.name!r} is ambiguous: {describe(i)} matches {ks} (and "
            f"{len(bad) - 1} more patterns match several segments). State precedence: 'first' "
            f"(first listed rule wins), or make the rules disjoint.")
    return np.where(n_match > 0, np.argmax(h, axis=0), len(rs.segments)).astype(np.int16)


def _grid_lookup(rs: RuleSet, bins: int) -> np.ndarray:
    """Segment index (len(segments) = other) for each of the bins³ (R, F, M) patterns."""
    pats = np.array(list(product(range(1, bins + 1), repeat=3)))
    sep = "" if bins <= 9 else "-"
    hits = []
    for s in rs.segments:
        if rs.kind == "codes":
            codes = set(s["codes"])
            bad = [c for c in codes if len(c.split("-") if sep else c) != 3]
            if bad:
                raise ParameterError(f"segment {s['key']!r}: codes {bad[:3]} are not three "
                                     f"scores like '545'.")
            hit = np.array([sep.join(map(str, p)) in codes for p in pats])
        else:
            hit = np.ones(len(pats), dtype=bool)
            for d, col in zip("RFM", range(3)):
                if s.get(d) is not None:
                    lo, hi = s[d]
                    hit &= (pats[:, col] >= lo) & (pats[:, col] <= hi)
        hits.append(hit)
    return _resolve(rs, hits, lambda i: f"pattern {sep.join(map(str, pats[i]))}")


def _score_bins(scores: pd.DataFrame) -> int:
    return int(scores.attrs.get("bins") or max(int(scores[c].max()) for c in "RFM"))


def rules_for_bins(bins: int) -> str:
    """The built-in segment map defined on ``bins``-point scores (``rules="auto"``)."""
    if int(bins) not in AUTO_RULES:
        choices = ", ".join(f"{k} ({v})" for k, v in sorted(AUTO_RULES.items()))
        raise ParameterError(
            f"no built-in segment map is defined on {bins}-point scores (maps exist for {choices}); "
            f"score with one of those (-p n_bins=5) or give your own YAML rule file "
            f"(rules='my_rules.yml', -p segment_rules=my_rules.yml).")
    return AUTO_RULES[int(bins)]


def segment(scores: pd.DataFrame, rules="classic10", *, split: str | None = None,
            lang: str = "zh") -> pd.DataFrame:
    """Assign every customer to exactly one segment of a rule set.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`score` (``R``, ``F``, ``M`` and, for split rules, the raw
        ``recency``/``frequency``/``monetary``).
    rules : {"classic10", "quartile5", "cn8", "auto"}, path, mapping or RuleSet
        The rule set; see the module docstring and ``crmlab/rules/rfm_*.yml``. ``"auto"`` takes
        the built-in map defined on the scores' number of points (:data:`AUTO_RULES`:
        classic10 for 5-point scores, quartile5 for 4-point scores).
    split : {"mean", "median"}, optional
        For split rule sets (cn8): where high/low is cut; default the rule set's own.
    lang : {"zh", "en"}
        Language of the ``label`` column.

    Returns
    -------
    DataFrame indexed by customer with ``segment`` (categorical of segment keys, plus
    ``"other"`` for unmatched customers) and ``label`` (localised name).
    """
    i18n.check_lang(lang)
    if isinstance(rules, str) and rules == "auto":
        rules = rules_for_bins(_score_bins(scores))
    rs = load_rules(rules)
    if rs.kind == "split":
        idx = _split_assign(scores, rs, split or rs.split)
    else:
        missing = [c for c in "RFM" if c not in scores.columns]
        if missing:
            raise DataError(f"scores lack columns {missing}; compute them with rfm.score(...).")
        bins = _score_bins(scores)
        if rs.bins is not None and rs.bins != bins:
            other = AUTO_RULES.get(bins)
            fix = (f" or use a map defined on {bins}-point scores: rules={other!r} (in a chapter "
                   f"-p segment_rules={other}, or segment_rules='auto')" if other else "")
            raise ParameterError(f"rule set {rs.name!r} is defined on {rs.bins}-point scores but "
                                 f"these scores use bins={bins}; rescore with "
                                 f"rfm.score(table, bins={rs.bins}) (-p n_bins={rs.bins}){fix}.")
        lut = _grid_lookup(rs, bins)
        r = scores["R"].to_numpy().astype(np.int32)
        f = scores["F"].to_numpy().astype(np.int32)
        m = scores["M"].to_numpy().astype(np.int32)
        if min(r.min(), f.min(), m.min()) < 1 or max(r.max(), f.max(), m.max()) > bins:
            raise DataError(f"R/F/M scores must lie in 1..{bins}.")
        idx = lut[(r - 1) * bins * bins + (f - 1) * bins + (m - 1)]
    keys = rs.keys()
    labels = rs.labels(lang)
    seg = pd.Categorical.from_codes(idx.astype(np.int16), categories=keys)
    out = pd.DataFrame({"segment": seg}, index=scores.index)
    out["label"] = pd.Categorical.from_codes(idx.astype(np.int16),
                                             categories=[labels[k] for k in keys])
    out.attrs["rules"] = rs.name
    return out


def _split_assign(scores: pd.DataFrame, rs: RuleSet, split: str) -> np.ndarray:
    if split not in ("mean", "median"):
        raise ParameterError(f"split={split!r}; use 'mean' or 'median'.")
    cols = ("recency", "frequency", "monetary")
    if all(c in scores.columns for c in cols):
        vals = [scores[c].to_numpy(dtype="float64") for c in cols]
        lower_is_better = (True, False, False)
    elif all(c in scores.columns for c in "RFM"):
        vals = [scores[c].to_numpy(dtype="float64") for c in "RFM"]
        lower_is_better = (False, False, False)
    else:
        raise DataError("split rules need recency/frequency/monetary (or R/F/M) columns.")
    high = []
    for v, low_better in zip(vals, lower_is_better):
        cut = float(np.mean(v)) if split == "mean" else float(np.median(v))
        high.append(v < cut if low_better else v > cut)
    pattern = high[0] * 4 + high[1] * 2 + high[2] * 1
    bits = np.array([[bool(p & 4), bool(p & 2), bool(p & 1)] for p in range(8)])
    hits = [np.all([(s.get(d) is None) | ((s.get(d) == "high") == bits[:, i])
                    for i, d in enumerate("RFM")], axis=0) for s in rs.segments]

    def describe(p):
        return "high/low pattern " + ", ".join(
            f"{d}={'high' if bits[p, i] else 'low'}" for i, d in enumerate("RFM"))

    lut = _resolve(rs, hits, describe)
    return lut[pattern.astype(np.int64)]


def segment_summary(segments: pd.DataFrame, revenue=None, lang: str = "zh") -> Table:
    """Customers (and revenue) per segment, as shares, in rule order."""
    g = segments.groupby("label", observed=False)
    frame = pd.DataFrame({"n_customers": g.size()})
    frame["share_customers"] = frame["n_customers"] / len(segments)
    if revenue is not None:
        rev = pd.Series(revenue).reindex(segments.index).astype("float64")
        frame["share_revenue"] = rev.groupby(segments["label"], observed=False).sum() / rev.sum()
    frame.index.name = "segment"
    return Table(frame, "rfm.segments", i18n.t("rfm.segments", lang), lang=lang)


# ---------------------------------------------------------------------------------------------
# Case 3-1: multi-criteria top-share selection
# ---------------------------------------------------------------------------------------------
def select_top(frame: pd.DataFrame, criteria: Mapping[str, str], *, weights=None,
               share: float = 0.2, method: str = "weighted") -> pd.DataFrame:
    """Rank customers on several weighted, normalised criteria and mark the top ``share``.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    criteria : mapping
        Column → ``"+"`` (more is better) or ``"-"`` (less is better: receivables outstanding,
        purchase cycle).
    weights : mapping, sequence, AhpResult, "entropy" or None
        Criterion weights; ``None`` = equal, ``"entropy"`` = entropy weight method.
    share : float
        Share of customers selected (0.2 = the best 20%).
    method : {"weighted", "topsis"}
        Weighted sum of min–max normalised criteria, or TOPSIS closeness.

    Returns
    -------
    DataFrame sorted by rank with ``score``, ``rank`` (1 = best; ties by customer id) and
    ``selected`` (the top ``round(share · n)`` customers).
    """
    if not isinstance(criteria, Mapping) or not criteria:
        raise ParameterError("criteria must map columns to '+' or '-', e.g. {'sales_value': '+', "
                             "'receivables': '-'}.")
    if not 0 < share <= 1:
        raise ParameterError(f"share={share!r} must lie in (0, 1].")
    cols = list(criteria)
    x = _criteria_frame(frame, cols)
    dirs = {c: _sign(d, c) for c, d in criteria.items()}
    if isinstance(weights, str):
        if weights != "entropy":
            raise ParameterError(f"weights={weights!r}; use 'entropy', a mapping, or AHP weights.")
        weights = entropy_weights(x, directions=dirs).weights
    w = _weights_for(cols, np.ones(len(cols)) if weights is None else weights)
    if method == "weighted":
        s = (minmax(x, dirs) * w).sum(axis=1)
    elif method == "topsis":
        s = topsis(x, w, directions=dirs)["closeness"]
    else:
        raise ParameterError(f"method={method!r}; use 'weighted' or 'topsis'.")
    order = _rank_desc(s)
    out = x.iloc[order].copy()
    out["score"] = s.iloc[order].to_numpy()
    out["rank"] = np.arange(1, len(out) + 1)
    k = max(1, int(round(share * len(out))))
    out["selected"] = out["rank"] <= k
    out.attrs["weights"] = dict(w)
    return out


# ---------------------------------------------------------------------------------------------
# validation: does RFM predict?
# ---------------------------------------------------------------------------------------------
@dataclass
class Validation:
    """Result of :func:`validate`: per-group ``table``, ``spearman`` (rho, p) of score vs
    holdout revenue, and ``lift`` by score decile."""

    table: pd.DataFrame
    spearman: tuple
    lift: pd.DataFrame

    def as_table(self, lang: str = "zh") -> Table:
        rho, p = self.spearman
        note = {"zh": f"Spearman 秩相关（综合得分与验证期收入）ρ = {rho:.3f}，p = {p:.3g}",
                "en": f"Spearman rank correlation of score and holdout revenue: ρ = {rho:.3f}, "
                      f"p = {p:.3g}"}
        return Table(self.table, "rfm.validation", i18n.t("rfm.validation", lang), lang=lang,
                     note=note)


def _holdout(holdout) -> pd.DataFrame:
    if isinstance(holdout, pd.Series):
        rev = holdout.astype("float64")
        return pd.DataFrame({"revenue": rev, "repurchase": rev > 0})
    if not isinstance(holdout, pd.DataFrame):
        raise ParameterError("holdout must be a Series of holdout revenue or a summary frame.")
    if {"frequency_holdout", "total_amount_holdout"} <= set(holdout.columns):
        # the holdout spend itself; frequency_holdout x monetary_value_holdout would count one
        # purchase per period (a second purchase on the same day would be lost)
        f = holdout["frequency_holdout"].astype("float64")
        rev = holdout["total_amount_holdout"].astype("float64").fillna(0.0)
        return pd.DataFrame({"revenue": rev, "repurchase": f > 0})
    if "revenue" in holdout.columns:
        rev = holdout["revenue"].astype("float64")
        rep = holdout["repurchase"].astype(bool) if "repurchase" in holdout.columns else rev > 0
        return pd.DataFrame({"revenue": rev, "repurchase": rep})
    raise DataError("holdout needs frequency_holdout and total_amount_holdout (crmlab.summarise "
                    "with calibration_end=... and an amount column), or a 'revenue' column "
                    f"(found: {', '.join(map(str, holdout.columns))}).")


def validate(scores: pd.DataFrame, holdout, *, by="segment", segments=None,
             n_groups: int = 10) -> Validation:
    """Holdout revenue and repurchase rate by RFM cell or segment, a rank correlation and a lift
    table: does the calibration-period RFM score predict the holdout period?

    Parameters
    ----------
    scores : DataFrame
        :func:`score` output on the calibration period.
    holdout : DataFrame or Series
        A summary with ``frequency_holdout`` and ``total_amount_holdout`` (from
        ``crmlab.summarise(..., calibration_end=...)``), or holdout revenue per customer.
    by : {"segment", "code", "R", "F", "M"}
        Grouping of the per-group table (``segment`` needs ``segments=``).
    segments : DataFrame, optional
        :func:`segment` output; the table is indexed by its localised ``label``.
    n_groups : int
        Score quantile groups of the lift table.
    """
    from scipy import stats

    h = _holdout(holdout).reindex(scores.index)
    if h["revenue"].isna().any():
        raise DataError(f"{int(h['revenue'].isna().sum())} scored customers have no holdout "
                        f"record; pass the holdout for the same customers.")
    if by == "segment":
        if segments is None:
            raise ParameterError("by='segment' needs segments=rfm.segment(scores, ...).")
        key = segments["label"].reindex(scores.index)
    elif by in ("code", "R", "F", "M"):
        key = scores[by]
    else:
        raise ParameterError(f"by={by!r}; use 'segment', 'code', 'R', 'F' or 'M'.")
    df = pd.DataFrame({"key": key, "score": scores["score"], "revenue": h["revenue"],
                       "repurchase": h["repurchase"].astype(float)})
    overall = df["revenue"].mean()
    g = df.groupby("key", observed=True)
    table = pd.DataFrame({"n_customers": g.size(), "mean_score": g["score"].mean(),
                          "repurchase_rate": g["repurchase"].mean(),
                          "mean_revenue": g["revenue"].mean()})
    table["share_customers"] = table["n_customers"] / len(df)
    table["share_revenue"] = g["revenue"].sum() / df["revenue"].sum()
    table["lift"] = table["mean_revenue"] / overall if overall > 0 else np.nan
    table = table.sort_values("mean_score", ascending=False)
    table.index.name = by
    res = stats.spearmanr(df["score"], df["revenue"])
    rank = df["score"].rank(method="average", pct=True)
    grp = np.minimum((rank * n_groups).apply(np.ceil), n_groups).astype(int)
    gl = df.groupby(grp)
    lift = pd.DataFrame({"n_customers": gl.size(), "mean_score": gl["score"].mean(),
                         "repurchase_rate": gl["repurchase"].mean(),
                         "mean_revenue": gl["revenue"].mean()})
    lift["lift"] = lift["mean_revenue"] / overall if overall > 0 else np.nan
    lift.index.name = "score_group"
    return Validation(table=table, spearman=(float(res.statistic), float(res.pvalue)), lift=lift)


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
@styled
def plot_heatmap(scores: pd.DataFrame, lang: str = "zh", value: str = "monetary"):
    """R × F heatmap coloured by the mean of ``value`` (raw monetary by default)."""
    import seaborn as sns

    from .plots import figure

    fig, ax = figure("rfm.heatmap", i18n.t("rfm.heatmap", lang))
    piv = scores.pivot_table(index="R", columns="F", values=value, aggfunc="mean", observed=False)
    piv = piv.sort_index(ascending=False)
    sns.heatmap(piv, ax=ax, cmap="YlOrRd", annot=True, fmt=".0f",
                cbar_kws={"label": i18n.t(f"col.{value}", lang)})
    ax.set_xlabel(i18n.t("col.F", lang))
    ax.set_ylabel(i18n.t("col.R", lang))
    return fig


@styled
def plot_segments(segments: pd.DataFrame, revenue=None, lang: str = "zh"):
    """Bars of the share of customers (and of revenue) per segment."""
    from .plots import figure

    tab = segment_summary(segments, revenue, lang).frame
    fig, ax = figure("rfm.segments", i18n.t("rfm.segments", lang))
    cols = [c for c in ("share_customers", "share_revenue") if c in tab.columns]
    tab[cols].rename(columns=lambda c: i18n.t(f"col.{c}", lang)).plot.barh(ax=ax)
    ax.invert_yaxis()
    ax.set_ylabel("")
    ax.set_xlabel(i18n.t("col.share", lang))
    return fig
