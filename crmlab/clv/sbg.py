"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to
project customer retention", Journal of Interactive Marketing 21(1)).

Each customer renews at the end of every contract period with probability 1 − θ until the first
non-renewal; θ ~ Beta(alpha, beta) across customers. The data are the numbers (or percentages)
of a cohort still active at period 0, 1, ..., k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, hyp2f1

from ..errors import ModelError, ParameterError
from .base import Model


class ShiftedBetaGeometric(Model):
    """sBG model with parameters ``alpha, beta``.

    ``fit(survivors)`` takes a Series/array (or a one-column DataFrame) of survivors by period,
    starting with the cohort size at period 0. Percentages work too (the estimates are the same;
    pass ``n_customers`` to scale them to counts so that the standard errors are right).
    """

    name = "sBG"
    key = "sbg"
    param_names = ("alpha", "beta")

    def __init__(self, *, n_customers: float | None = None, **kw):
        super().__init__(**kw)
        self.n_customers = n_customers

    def _unit_of(self, data):
        return getattr(data, "attrs", {}).get("time_unit", "period") if hasattr(data, "attrs") else "period"

    def _given_unit(self, time_unit):
        return "period" if time_unit is None else str(time_unit)

    def _prepare(self, data):
        s = self._prepare_survivors(data)
        if self.n_customers is not None:
            s = s / s[0] * float(self.n_customers)
        t = np.arange(1, len(s), dtype=float)
        lost = s[:-1] - s[1:]
        if lost.sum() == 0:
            raise ModelError("sBG: nobody churned in the data, so the churn distribution cannot be estimated.")
        # rows: one per period of loss, plus one for the survivors at the end (right-censored)
        return {"t": np.r_[t, t[-1]], "dead": np.r_[np.ones_like(t), 0.0], "w": np.r_[lost, s[-1]]}

    @staticmethod
    def _prepare_survivors(data) -> np.ndarray:
        """Survivors by period (Series, one-column frame or array) as checked floats."""
        if isinstance(data, pd.DataFrame):
            if data.shape[1] != 1:
                raise ModelError(
                    "sBG: pass one cohort at a time: a Series (or one-column DataFrame) of survivors "
                    f"by period; got columns {list(data.columns)}."
                )
            data = data.iloc[:, 0]
        try:
            s = np.asarray(data, dtype=float).ravel()
        except (TypeError, ValueError):
            raise ModelError("sBG: survivors must be numbers (counts or percentages by period).") from None
        if len(s) < 2:
            raise ModelError("sBG: need survivors for at least periods 0 and 1.")
        if not np.all(np.isfinite(s)) or (s < 0).any() or (np.diff(s) > 0).any() or s[0] <= 0:
            raise ModelError(
                "sBG: survivors must be positive at period 0, non-negative and non-increasing "
                "(a cohort can only shrink)."
            )
        return s

    def _loglik(self, theta, d, grad=True):
        a, b = theta
        t, dead = d["t"], d["dead"]
        # P(T = t) = B(a+1, b+t-1)/B(a,b);  S(t) = B(a, b+t)/B(a,b)
        a1 = np.where(dead > 0, a + 1, a)
        b1 = np.where(dead > 0, b + t - 1, b + t)
        ll = betaln(a1, b1) - betaln(a, b)
        if not grad:
            return ll, None
        d1 = digamma(a1 + b1)
        d0 = digamma(a + b)
        g = np.empty((len(t), 2))
        g[:, 0] = a * (digamma(a1) - d1 - digamma(a) + d0)
        g[:, 1] = b * (digamma(b1) - d1 - digamma(b) + d0)
        return ll, g

    def _starts(self, d):
        return [np.log([1.0, 1.0]), np.log([0.5, 3.0]), np.log([2.0, 2.0])]

    def survival(self, t):
        """S(t): share of a new cohort still active after ``t`` periods."""
        self._check_fitted()
        a, b = self._theta
        t = np.asarray(t, float)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def retention_rate(self, t):
        """r_t = S(t)/S(t−1) = (β+t−1)/(α+β+t−1), the retention rate in period t >= 1."""
        self._check_fitted()
        a, b = self._theta
        t = np.asarray(t, float)
        return (b + t - 1) / (a + b + t - 1)

    def derl(self, discount_rate, *, renewals: int = 0):
        """Discounted expected residual lifetime (Fader & Hardie 2010, eq. 6).

        For a customer who has made ``renewals`` = n − 1 renewals, standing just before the next
        renewal decision: Σ_{t>=n} S(t)/S(n−1) / (1+d)^(t−n), the expected number of future
        payments (the next one undiscounted), discounted by ``discount_rate`` per contract
        period (the period of the survivor data; there is no other unit here)::

            DERL = (β+n−1)/(α+β+n−1) · 2F1(1, β+n; α+β+n; 1/(1+d))
        """
        self._check_fitted()
        d = float(discount_rate)
        if not d > 0:
            raise ParameterError(f"discount_rate={discount_rate!r} must be > 0 per contract period.")
        if renewals < 0 or renewals != int(renewals):
            raise ParameterError(f"renewals={renewals!r} must be a whole number >= 0.")
        a, b = self._theta
        n = renewals + 1
        return (b + n - 1) / (a + b + n - 1) * hyp2f1(1, b + n, a + b + n, 1 / (1 + d))

    def project(self, periods: int, actual=None) -> pd.DataFrame:
        """Projected survival and retention rate for periods 0..``periods``.

        ``actual``, survivors by period as for :meth:`fit` (counts or percentages, period 0
        first), adds the observed survival as a share of period 0 in column ``actual``, to set
        the projection against what happened (NaN beyond the data).
        """
        t = np.arange(periods + 1)
        out = pd.DataFrame({"period": t, "survival": self.survival(t),
                            "retention_rate": np.r_[np.nan, self.retention_rate(t[1:])]}).set_index("period")
        if actual is not None:
            observed = self._prepare_survivors(actual)
            share = np.full(len(t), np.nan)
            n = min(len(t), len(observed))
            share[:n] = observed[:n] / observed[0]
            out["actual"] = share
        return out
