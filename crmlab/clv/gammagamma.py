"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013,
"The Gamma-Gamma Model of Monetary Value").

Fitted on customers with at least one repeat purchase (frequency > 0) and positive
``monetary_value`` (the mean repeat-purchase spend, lifetimes' definition). The model assumes
spend is independent of purchase frequency; ``independence_`` reports the correlation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from .. import i18n
from ..errors import ModelError
from .base import Model, check_columns, numeric, require_monetary, weights_of

i18n.register({
    "clv.gg_independent": {
        "zh": "频次与客单价的相关系数为 {rho:.3f}：独立性假设可以接受",
        "en": "correlation of frequency and spend is {rho:.3f}: the independence assumption is acceptable",
    },
    "clv.gg_dependent": {
        "zh": "频次与客单价的相关系数为 {rho:.3f}：独立性假设可疑，Gamma-Gamma 结果需谨慎解读",
        "en": "correlation of frequency and spend is {rho:.3f}: the independence assumption is doubtful; "
              "read Gamma-Gamma results with care",
    },
})

#: |Pearson correlation| above which the independence assumption is flagged.
INDEPENDENCE_THRESHOLD = 0.3


class GammaGamma(Model):
    """Gamma-Gamma spend model with parameters ``p, q, v``.

    Attributes
    ----------
    independence_ : dict
        ``pearson`` and ``spearman`` correlations of frequency and monetary_value among the
        fitted customers, and ``verdict`` ("independent" or "dependent").
    """

    name = "Gamma-Gamma"
    key = "gammagamma"
    param_names = ("p", "q", "v")

    def _unit_of(self, data):
        if not isinstance(data, pd.DataFrame):
            raise ModelError(f"{self.name} needs a summary DataFrame; got {type(data).__name__}.")
        return data.attrs.get("time_unit")  # spend has no time unit

    def _given_unit(self, time_unit):
        return time_unit  # spend has no time unit

    def _prepare(self, data):
        require_monetary(data, self.name)
        check_columns(data, ("frequency", "monetary_value"), self.name)
        x = numeric(data, "frequency", self.name)
        m = numeric(data, "monetary_value", self.name)
        w = weights_of(data, self.name)
        if (x < 0).any():
            raise ModelError(f"{self.name}: column 'frequency' has negative values.")
        keep = (x > 0) & (m > 0) & (w > 0)
        if keep.sum() < 2:
            raise ModelError(
                f"{self.name}: fewer than two customers have a repeat purchase with positive "
                "monetary_value; the spend model needs repeat customers."
            )
        x, m, w = x[keep], m[keep], w[keep]
        self.n_excluded_ = float(weights_of(data, self.name)[~keep].sum())
        self.independence_ = _independence(x, m, w)
        return {"x": x, "m": m, "w": w}

    def _starts(self, d):
        mm = (d["w"] @ d["m"]) / d["w"].sum()
        return [np.log([2.0, 3.0, mm]), np.log([1.0, 1.0, 1.0]), np.log([5.0, 5.0, 2 * mm])]

    def _loglik(self, theta, d, grad=True):
        p, q, v = theta
        x, m = d["x"], d["m"]
        px = p * x
        lxm = np.log(x * m + v)
        ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m)
              + px * np.log(x) - (px + q) * lxm)
        if not grad:
            return ll, None
        g = np.empty((len(x), 3))
        dpq = digamma(px + q)
        g[:, 0] = px * (dpq - digamma(px) + np.log(m) + np.log(x) - lxm)
        g[:, 1] = q * (dpq - digamma(q) + np.log(v) - lxm)
        g[:, 2] = q - v * (px + q) / (x * m + v)
        return ll, g

    def _fit(self, data):
        super()._fit(data)
        rho = self.independence_["pearson"]
        key = "clv.gg_independent" if self.independence_["verdict"] == "independent" else "clv.gg_dependent"
        self.independence_["message"] = i18n.t(key, "en", rho=rho)
        if not self.note_:
            self.note_ = self.independence_["message"]
        return self

    def _k_spend(self, theta, x, m):
        p, q, v = theta
        with np.errstate(all="ignore"):
            mean = p * v / (q - 1)
            w = (q - 1) / (p * x + q - 1)
            return np.where(x > 0, w * mean + (1 - w) * m, mean)

    def conditional_expected_spend(self, data=None):
        """E[spend per purchase | x, m] for each customer (population mean where x = 0)."""
        self._check_fitted()
        if data is None:
            self._no_given("conditional_expected_spend")
        frame = self.data_ if data is None else data
        require_monetary(frame, self.name)
        check_columns(frame, ("frequency", "monetary_value"), self.name)
        x = numeric(frame, "frequency", self.name)
        m = numeric(frame, "monetary_value", self.name)
        return pd.Series(self._k_spend(self._theta, x, m), index=frame.index, name="expected_spend")

    def expected_spend(self):
        """Population mean spend per purchase, p·v/(q−1) (infinite if q <= 1)."""
        self._check_fitted()
        p, q, v = self._theta
        return p * v / (q - 1) if q > 1 else np.inf


def _independence(x, m, w):
    def wcorr(a, b):
        am, bm = np.average(a, weights=w), np.average(b, weights=w)
        cov = np.average((a - am) * (b - bm), weights=w)
        sd = np.sqrt(np.average((a - am) ** 2, weights=w) * np.average((b - bm) ** 2, weights=w))
        return float(cov / sd) if sd > 0 else 0.0

    from scipy.stats import rankdata

    pearson = wcorr(x, m)
    spearman = wcorr(rankdata(x), rankdata(m))
    verdict = "independent" if abs(pearson) < INDEPENDENCE_THRESHOLD else "dependent"
    return {"pearson": pearson, "spearman": spearman, "verdict": verdict}
