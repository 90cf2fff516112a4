"""Multi-criteria weights and scores: AHP (:func:`ahp_weights`), the entropy weight method
(:func:`entropy_weights`), :func:`weighted_score` and :func:`topsis`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, ParameterError
from ..tables import Table
from ._common import _criteria_frame, _sign

i18n.register({
    "col.entropy": {"zh": "信息熵", "en": "Entropy"},
    "col.divergence": {"zh": "差异系数", "en": "Divergence"},
    "value.ahp": {"zh": "层次分析法权重", "en": "AHP weights"},
    "value.entropy": {"zh": "熵权法权重", "en": "Entropy weights"},
})


# Saaty's random consistency index (Saaty 1980; n = 11..15 from Saaty 2000's extended table).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


@dataclass
class AhpResult:
    """Result of :func:`ahp_weights`: principal-eigenvector ``weights`` and consistency."""

    weights: pd.Series
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    matrix: pd.DataFrame = field(repr=False)

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio < 0.1

    def table(self, lang: str = "zh") -> Table:
        frame = self.weights.to_frame("weight")
        frame.index.name = "criterion"
        note = {"zh": f"λmax = {self.lambda_max:.3f}，CI = {self.consistency_index:.3f}，"
                      f"RI = {self.random_index:.2f}，CR = {self.consistency_ratio:.3f}",
                "en": f"λmax = {self.lambda_max:.3f}, CI = {self.consistency_index:.3f}, "
                      f"RI = {self.random_index:.2f}, CR = {self.consistency_ratio:.3f}"}
        return Table(frame, "value.ahp", i18n.t("value.ahp", lang), lang=lang, note=note)


def ahp_weights(matrix, labels=None, *, max_cr: float | None = 0.1) -> AhpResult:
    """AHP weights from a pairwise-comparison matrix (Saaty's eigenvector method).

    Parameters
    ----------
    matrix : array-like or DataFrame
        Square, positive and reciprocal (``a_ji = 1/a_ij``), on Saaty's 1–9 scale. A DataFrame's
        index gives the criterion names.
    labels : sequence of str, optional
        Criterion names (default the DataFrame index, else ``c1..cn``).
    max_cr : float or None
        Refuse matrices whose consistency ratio is ``>= max_cr`` (Saaty's 0.1). ``None``
        returns the weights of any matrix, consistent or not.

    Returns
    -------
    AhpResult
        ``weights`` (sum 1), ``lambda_max``, ``consistency_index = (λmax − n)/(n − 1)``,
        ``random_index`` (Saaty's RI) and ``consistency_ratio = CI/RI`` (0 for n ≤ 2).

    Raises
    ------
    ParameterError
        When the matrix is not square, positive and reciprocal, or CR ≥ ``max_cr``.
    """
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index) if labels is None else labels
        a = matrix.to_numpy(dtype="float64")
    else:
        try:
            a = np.asarray(matrix, dtype="float64")
        except (TypeError, ValueError):
            raise ParameterError("the AHP matrix must hold numbers (use 1/3, not '1/3').") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ParameterError(f"the AHP matrix must be square; got shape {a.shape}.")
    n = a.shape[0]
    labels = [f"c{i + 1}" for i in range(n)] if labels is None else list(labels)
    if len(labels) != n:
        raise ParameterError(f"{len(labels)} labels for a {n}x{n} AHP matrix.")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ParameterError("every AHP judgement must be a positive number (1/9 .. 9).")
    bad = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=1e-3))
    if len(bad):
        i, j = bad[0]
        raise ParameterError(f"the AHP matrix is not reciprocal: a[{labels[i]}, {labels[j]}] = "
                             f"{a[i, j]:g} but a[{labels[j]}, {labels[i]}] = {a[j, i]:g}; set it "
                             f"to {1 / a[i, j]:.4g}.")
    if n > max(RANDOM_INDEX):
        raise ParameterError(f"AHP with {n} criteria: Saaty's random index is tabulated up to "
                             f"{max(RANDOM_INDEX)}; split the criteria into a hierarchy.")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    cr = max(cr, 0.0) if abs(cr) < 1e-12 else cr
    res = AhpResult(weights=pd.Series(w, index=pd.Index(labels, name="criterion"), name="weight"),
                    lambda_max=lam, consistency_index=ci, random_index=ri,
                    consistency_ratio=cr, matrix=pd.DataFrame(a, index=labels, columns=labels))
    if max_cr is not None and cr >= max_cr:
        raise ParameterError(
            f"the AHP matrix is inconsistent: CR = {cr:.3f} >= {max_cr} (λmax = {lam:.3f}, n = {n}). "
            f"Revise the judgements (start with the pair most out of line with the others), or "
            f"pass max_cr=None to accept it knowingly.")
    return res


def _directions(cols, negative=(), directions=None) -> dict[str, int]:
    out = {c: 1 for c in cols}
    for c in negative:
        if c not in out:
            raise ParameterError(f"negative criterion {c!r} is not one of {list(cols)}.")
        out[c] = -1
    if directions:
        for c, d in directions.items():
            if c not in out:
                raise ParameterError(f"criterion {c!r} is not one of {list(cols)}.")
            out[c] = _sign(d, c)
    return out


def minmax(x: pd.DataFrame, directions: Mapping[str, int]) -> pd.DataFrame:
    """Min–max normalise each column to [0, 1], reversed for negative criteria.

    A constant column becomes all ones (it cannot discriminate, and entropy gives it no weight).
    """
    lo, hi = x.min(), x.max()
    span = (hi - lo).replace(0.0, np.nan)
    out = (x - lo) / span
    for c, d in directions.items():
        if d < 0:
            out[c] = 1.0 - out[c]
    return out.fillna(1.0)


@dataclass
class EntropyResult:
    """Result of :func:`entropy_weights`."""

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series

    def table(self, lang: str = "zh") -> Table:
        frame = pd.DataFrame({"entropy": self.entropy, "divergence": self.divergence,
                              "weight": self.weights})
        frame.index.name = "criterion"
        return Table(frame, "value.entropy", i18n.t("value.entropy", lang), lang=lang)


def entropy_weights(frame: pd.DataFrame, columns=None, *, negative=(), directions=None,
                    normalise: str = "minmax") -> EntropyResult:
    """The entropy weight method (熵权法).

    Steps: normalise each criterion (min–max, reversed for negative criteria; or ``"none"`` for
    already positive benefit data), ``p_ij = x_ij / Σ_i x_ij``, entropy ``e_j = −Σ_i p_ij ln p_ij
    / ln n`` (with 0·ln 0 = 0), divergence ``d_j = 1 − e_j``, weight ``w_j = d_j / Σ d``.

    Parameters
    ----------
    frame : DataFrame
        One row per customer, one column per criterion.
    columns : sequence of str, optional
        The criteria (default every column).
    negative : sequence of str
        Criteria where less is better (cost, receivables, purchase cycle).
    directions : mapping, optional
        Criterion → ``"+"``/``"-"``, an alternative to ``negative``.
    normalise : {"minmax", "none"}

    Returns
    -------
    EntropyResult with ``weights``, ``entropy`` and ``divergence`` (Series by criterion).
    """
    x = _criteria_frame(frame, columns)
    dirs = _directions(list(x.columns), negative, directions)
    if normalise == "minmax":
        z = minmax(x, dirs)
    elif normalise == "none":
        if (x < 0).any().any() or any(d < 0 for d in dirs.values()):
            raise ParameterError("normalise='none' needs non-negative benefit criteria; use "
                                 "normalise='minmax' for negative criteria or values.")
        z = x
    else:
        raise ParameterError(f"normalise={normalise!r}; use 'minmax' or 'none'.")
    colsum = z.sum()
    p = z / colsum.replace(0.0, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = pd.Series(-plogp.sum(axis=0) / math.log(len(z)), index=z.columns)
    e = e.where(colsum > 0, 1.0)  # an all-zero column carries no information
    d = 1.0 - e
    if d.sum() <= 1e-12:
        raise DataError("every criterion is constant across customers: entropy weights are "
                        "undefined. Use weights given directly or AHP.")
    w = d / d.sum()
    return EntropyResult(weights=w.rename("weight"), entropy=e.rename("entropy"),
                         divergence=d.rename("divergence"))


def _weights_for(cols, weights) -> pd.Series:
    """Normalise user weights (mapping, sequence, Series or AhpResult) to the criteria order."""
    if isinstance(weights, (AhpResult, EntropyResult)):
        weights = weights.weights
    if isinstance(weights, (Mapping, pd.Series)):
        w = pd.Series(dict(weights), dtype="float64")
        if set(w.index) != set(cols):
            raise ParameterError(f"weights name {sorted(map(str, w.index))} but the criteria "
                                 f"are {sorted(map(str, cols))}; give one weight per criterion.")
        w = w.reindex(cols)
    else:
        w = pd.Series(np.asarray(weights, dtype="float64").ravel())
        if len(w) != len(cols):
            raise ParameterError(f"{len(w)} weights for {len(cols)} criteria {list(cols)}; give "
                                 f"one weight per criterion.")
        w.index = list(cols)
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ParameterError("weights must be non-negative numbers with a positive sum.")
    return w / w.sum()


def _weight_columns(weights, default):
    """The criteria a weight spec names (its keys), or ``default`` for plain sequences."""
    if isinstance(weights, (AhpResult, EntropyResult)):
        weights = weights.weights
    if isinstance(weights, pd.Series):
        return list(weights.index)
    if isinstance(weights, Mapping):
        return list(weights)
    return list(default)


def weighted_score(frame: pd.DataFrame, weights, *, negative=(), directions=None) -> pd.Series:
    """Weighted sum of min–max normalised criteria, in [0, 1] (negative criteria reversed)."""
    w = _weights_for(_weight_columns(weights, frame.columns), weights)
    x = _criteria_frame(frame, list(w.index))
    z = minmax(x, _directions(list(x.columns), negative, directions))
    return (z * w).sum(axis=1).rename("score")


def topsis(frame: pd.DataFrame, weights=None, *, negative=(), directions=None) -> pd.DataFrame:
    """TOPSIS ranking: closeness to the ideal solution.

    Vector-normalise each criterion, weight it, and measure the distances ``D+`` to the ideal and
    ``D−`` to the anti-ideal point (best/worst per criterion, reversed for negative criteria).
    ``closeness = D− / (D+ + D−)``, 1 for a customer best on every criterion.

    Returns
    -------
    DataFrame with ``d_plus``, ``d_minus``, ``closeness`` and ``rank`` (1 = best).
    """
    x = _criteria_frame(frame, None if weights is None else _weight_columns(weights, frame.columns))
    cols = list(x.columns)
    w = _weights_for(cols, np.ones(len(cols)) if weights is None else weights)
    dirs = _directions(cols, negative, directions)
    norm = np.sqrt((x ** 2).sum()).replace(0.0, np.nan)
    v = (x / norm).fillna(0.0) * w
    sign = pd.Series(dirs)
    best = np.where(sign > 0, v.max(), v.min())
    worst = np.where(sign > 0, v.min(), v.max())
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    denom = (d_plus + d_minus).replace(0.0, np.nan)
    close = (d_minus / denom).fillna(0.5)
    out = pd.DataFrame({"d_plus": d_plus, "d_minus": d_minus, "closeness": close})
    out["rank"] = out["closeness"].rank(ascending=False, method="min").astype(int)
    return out
