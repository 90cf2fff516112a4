"""Customer value scores on an indicator hierarchy (:func:`value_scores`, specs in
``crmlab/rules/value_*.yml``) and the customer value matrix (:func:`value_matrix`,
:func:`value_matrix_summary`, classes in ``crmlab/rules/value_matrix.yml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, ParameterError
from ..tables import Table
from ._common import _criteria_frame, _sign, _values
from .mcda import AhpResult, ahp_weights, entropy_weights, minmax, _weights_for

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

i18n.register({
    "source.entropy": {"zh": "熵权法", "en": "entropy method"},
    "source.equal": {"zh": "等权", "en": "equal weights"},
    "source.ahp": {"zh": "层次分析法", "en": "AHP"},
    "source.given": {"zh": "给定权重", "en": "given weights"},
    "col.value_class": {"zh": "客户类别", "en": "Customer class"},
    "value.matrix": {"zh": "客户价值矩阵", "en": "Customer value matrix"},
    "value.current": {"zh": "当前价值", "en": "Current value"},
    "value.potential": {"zh": "潜在价值", "en": "Potential value"},
    "value.matrix_classes": {"zh": "客户价值矩阵分类与策略", "en": "Value-matrix classes and strategies"},
})


BUILTIN_SPECS = ("bank",)


def load_spec(spec="bank") -> dict:
    """An indicator hierarchy: a built-in name (``"bank"``, ``crmlab/rules/value_bank.yml``),
    a path to a YAML file, or a mapping (returned as given after checking it is one)."""
    return _load_spec(spec)


@dataclass
class ValueScores:
    """Result of :func:`value_scores`.

    ``scores`` has one column per node of the hierarchy (0–100, higher = more valuable);
    ``weights`` lists every node's children with their local and global weights and source.
    """

    scores: pd.DataFrame
    weights: pd.DataFrame
    ahp: dict = field(default_factory=dict, repr=False)


def _load_spec(spec):
    if isinstance(spec, str) and spec in BUILTIN_SPECS:
        spec = RULES_DIR / f"value_{spec}.yml"
    if isinstance(spec, (str, Path)):
        import yaml

        path = Path(spec)
        if not path.exists():
            raise ParameterError(f"indicator spec file {str(path)!r} does not exist.")
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(spec, Mapping) or not spec:
        raise ParameterError("the indicator spec must be a non-empty mapping "
                             "{group: {indicator: '+' or '-' or {sub-indicators}}}.")
    return spec


def value_scores(frame: pd.DataFrame, spec=None, *, method: str = "entropy", weights=None,
                 ahp=None) -> ValueScores:
    """Score customers on an indicator hierarchy (current value, potential value, ...).

    Leaves are columns of ``frame`` with a direction (``"+"`` more is better, ``"-"`` less is
    better); they are min–max normalised to [0, 1]. Each inner node is the weighted sum of its
    children, and its score is reported ×100.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    spec : mapping, "bank" or path to YAML, optional
        ``{node: {child: "+"|"-"|{...}}}``; default the bank case
        (``crmlab/rules/value_bank.yml``: current value = consumption value, revenue
        contribution, cost; potential value = credit, loyalty (switching cost, continuity,
        tenure), future profit).
    method : {"entropy", "equal"}
        How to weight the children of a node with no weights given. Entropy weights of an inner
        node use its children's scores.
    weights : mapping, optional
        Node name → {child: weight} given directly.
    ahp : mapping, optional
        Node name → pairwise-comparison matrix over its children (in spec order); refused when
        CR ≥ 0.1.

    Returns
    -------
    ValueScores
    """
    spec = _load_spec("bank" if spec is None else spec)
    if method not in ("entropy", "equal"):
        raise ParameterError(f"method={method!r}; use 'entropy' or 'equal' (or weights=/ahp=).")
    weights = dict(weights or {})
    ahp = dict(ahp or {})
    scores: dict[str, pd.Series] = {}
    rows: list[dict] = []
    ahp_results: dict[str, AhpResult] = {}
    used: set[str] = set()

    def node(name: str, children: Mapping) -> pd.Series:
        used.add(name)
        if not isinstance(children, Mapping) or not children:
            raise ParameterError(f"node {name!r} of the indicator spec has no indicators.")
        parts = {}
        for child, sub in children.items():
            if isinstance(sub, Mapping):
                parts[child] = node(child, sub) / 100.0
            else:
                if child not in frame.columns:
                    raise DataError(f"indicator {child!r} (under {name!r}) is not a column of "
                                    f"the data; it has {list(frame.columns)[:12]}.")
                x = _criteria_frame(frame, [child])
                parts[child] = minmax(x, {child: _sign(sub, child)})[child]
        z = pd.DataFrame(parts)
        if name in weights:
            w, source = _weights_for(list(z.columns), weights[name]), "given"
        elif name in ahp:
            res = ahp_weights(ahp[name], labels=list(z.columns))
            ahp_results[name] = res
            w, source = res.weights, "ahp"
        elif method == "entropy" and len(z.columns) > 1:
            w, source = entropy_weights(z, normalise="none").weights, "entropy"
        else:
            w, source = pd.Series(1.0 / len(z.columns), index=z.columns), "equal"
        for child in z.columns:
            rows.append({"node": name, "indicator": child, "weight": float(w[child]),
                         "source": source})
        s = (z * w).sum(axis=1) * 100.0
        scores[name] = s.rename(name)
        return s

    for top, children in spec.items():
        node(top, children)
    unknown = (set(weights) | set(ahp)) - used
    if unknown:
        raise ParameterError(f"weights/ahp given for {sorted(unknown)}, which are not nodes of "
                             f"the spec ({sorted(used)}).")
    wt = pd.DataFrame(rows)
    # global weight of each leaf/inner node = product of local weights down the tree
    local = {(r["node"], r["indicator"]): r["weight"] for r in rows}
    parent = {r["indicator"]: r["node"] for r in rows}

    def global_w(ind):
        g, cur = 1.0, ind
        while cur in parent:
            g *= local[(parent[cur], cur)]
            cur = parent[cur]
        return g

    wt["global_weight"] = [global_w(i) for i in wt["indicator"]]
    order = list(spec) + [k for k in scores if k not in spec]
    return ValueScores(scores=pd.DataFrame({k: scores[k] for k in order}), weights=wt,
                       ahp=ahp_results)


# ---------------------------------------------------------------------------------------------
# customer value matrix
# ---------------------------------------------------------------------------------------------
@cache
def _matrix_rules_default() -> tuple:
    import yaml

    data = yaml.safe_load((RULES_DIR / "value_matrix.yml").read_text(encoding="utf-8"))
    return tuple(data["classes"])


def matrix_classes(classes=None) -> pd.DataFrame:
    """The value-matrix classes and their strategies as a frame (zh and en columns)."""
    cls = _check_classes(classes)
    return pd.DataFrame([{"key": c["key"], "current": c["current"], "potential": c["potential"],
                          "zh": c["zh"], "en": c["en"], "strategy_zh": c["strategy"]["zh"],
                          "strategy_en": c["strategy"]["en"]} for c in cls]).set_index("key")


def _check_classes(classes):
    cls = list(_matrix_rules_default() if classes is None else
               (classes["classes"] if isinstance(classes, Mapping) else classes))
    seen = {}
    for c in cls:
        for k in ("key", "current", "potential", "zh", "en"):
            if k not in c:
                raise ParameterError(f"value-matrix class {c!r} lacks {k!r}.")
        pos = (c["current"], c["potential"])
        if any(p not in ("high", "low") for p in pos):
            raise ParameterError(f"class {c['key']!r}: current/potential must be 'high' or 'low'.")
        if pos in seen:
            raise ParameterError(f"classes {seen[pos]!r} and {c['key']!r} both claim "
                                 f"current={pos[0]}, potential={pos[1]}.")
        seen[pos] = c["key"]
        c.setdefault("strategy", {"zh": "", "en": ""})
    if len(seen) != 4:
        raise ParameterError("the value matrix needs exactly four classes, one per "
                             "(current, potential) in {high, low}².")
    return cls


def _split_value(s: pd.Series, split, name: str) -> float:
    if split == "median":
        return float(s.median())
    if split == "mean":
        return float(s.mean())
    try:
        return float(split)
    except (TypeError, ValueError):
        raise ParameterError(f"split for {name} is {split!r}; use 'median', 'mean' or a "
                             f"number.") from None


def value_matrix(current, potential, *, split="median", classes=None,
                 lang: str = "zh") -> pd.DataFrame:
    """The customer value matrix: a 2×2 of current value against potential value.

    A customer is *high* on a dimension when strictly above the split (median, mean, or a given
    threshold); ``split`` may be one value for both or a pair ``(current, potential)``.

    Parameters
    ----------
    current, potential : Series
        Scores indexed by customer (e.g. from :func:`value_scores`).
    split : "median", "mean", float, or a pair of these
    classes : list of dict or mapping, optional
        Class table; default ``crmlab/rules/value_matrix.yml`` (top / high-end / mid / low with
        strategies in zh/en).
    lang : {"zh", "en"}
        Language of ``label`` and ``strategy``.

    Returns
    -------
    DataFrame indexed by customer with ``current``, ``potential``, ``value_class`` (class key),
    ``label`` and ``strategy``. ``.attrs`` holds the two thresholds.
    """
    i18n.check_lang(lang)
    c = _values(current, "current", allow_negative=True)
    p = _values(potential, "potential", allow_negative=True)
    if not c.index.equals(p.index):
        p = p.reindex(c.index)
        if p.isna().any():
            raise DataError("current and potential do not cover the same customers; align them.")
    sc, sp = split if isinstance(split, (tuple, list)) else (split, split)
    tc, tp = _split_value(c, sc, "current"), _split_value(p, sp, "potential")
    cls = _check_classes(classes)
    lookup = {(k["current"], k["potential"]): k for k in cls}
    hi_c = np.where(c.to_numpy() > tc, "high", "low")
    hi_p = np.where(p.to_numpy() > tp, "high", "low")
    keys = [lookup[(a, b)]["key"] for a, b in zip(hi_c, hi_p)]
    by_key = {k["key"]: k for k in cls}
    out = pd.DataFrame({"current": c, "potential": p,
                        "value_class": pd.Categorical(keys, categories=[k["key"] for k in cls])},
                       index=c.index)
    out["label"] = out["value_class"].map({k: v[lang] for k, v in by_key.items()}).astype(str)
    out["strategy"] = out["value_class"].map(
        {k: v["strategy"][lang] for k, v in by_key.items()}).astype(str)
    out.attrs["thresholds"] = {"current": tc, "potential": tp}
    return out


def value_matrix_summary(matrix: pd.DataFrame, revenue=None, lang: str = "zh") -> Table:
    """Counts (and revenue shares) per value-matrix class, with the strategy of each class."""
    g = matrix.groupby("value_class", observed=False)
    frame = pd.DataFrame({"n_customers": g.size()})
    frame["share_customers"] = frame["n_customers"] / len(matrix)
    if revenue is not None:
        rev = _values(revenue, "revenue").reindex(matrix.index)
        frame["share_revenue"] = rev.groupby(matrix["value_class"], observed=False).sum() / rev.sum()
    first = matrix.drop_duplicates("value_class").set_index("value_class")
    frame["strategy"] = first["strategy"].reindex(frame.index).fillna("")
    frame.index = frame.index.map(
        lambda k: first["label"].get(k, k) if k in first.index else k).astype(str)
    frame.index.name = "value_class"
    return Table(frame, "value.matrix_classes", i18n.t("value.matrix_classes", lang), lang=lang)
