"""Vectorised predictions shared by the continuous-time purchase models (BG/NBD, MBG/NBD,
Pareto/NBD). A model provides four kernels on numpy arrays; this mixin handles data, units,
CLV discounting and intervals. Every time argument is in the summary's unit (``time_unit_``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ModelError, ParameterError
from ..units import time_unit_of
from .base import check_columns, require_monetary, check_frt, discount_per_period, interval_frame, numeric, unique_rows


def check_method(model, method) -> str:
    """``method`` if ``model`` can compute conditional expectations that way, else a
    ParameterError naming the parameter and the methods the model has."""
    allowed = getattr(model, "conditional_methods", ("exact",))
    if not isinstance(method, str) or method not in allowed:
        name = getattr(model, "name", type(model).__name__)
        hint = ("" if "btydplus" in allowed else
                "; 'btydplus' (BTYDplus's approximation) exists only for BG/CNBD-k and MBG/CNBD-k: "
                "for a BG/NBD or MBG/NBD as in Reutterer, Platzer & Schröder (2021), fit "
                "clv.fit('bgcnbdk', summary, k=1) or clv.fit('mbgcnbdk', summary, k=1)")
        raise ParameterError(f"{name}: method={method!r} is not available; use one of "
                             f"{list(allowed)}{hint}.")
    return method


class ContinuousPredictions:
    """Mixin: ``expected_purchases``, ``conditional_expected_purchases``, ``p_alive``, ``pmf``
    and ``clv`` for a fitted continuous-time model."""

    def _pred_data(self, data):
        self._check_fitted()
        if data is None:
            self._no_given()
            x, tx, T = self._d["full"]
            return self.data_.index, x, tx, T
        check_columns(data, ("frequency", "recency", "T"), self.name)
        if getattr(self, "_assume_unit", False) and data.attrs.get("time_unit") is None:
            unit = self.time_unit_  # fitted with clv.fit(..., time_unit=) or from_params: plain frames
        else:
            unit = time_unit_of(data)
        if unit != self.time_unit_:
            raise ModelError(
                f"{self.name} was fitted on a summary in unit {self.time_unit_!r}, but this one is in "
                f"{unit!r}; rebuild it with time_unit={self.time_unit_!r}."
            )
        x = numeric(data, "frequency", self.name)
        tx = numeric(data, "recency", self.name)
        T = numeric(data, "T", self.name)
        check_frt(x, tx, T, self.name)
        return data.index, x, tx, T

    def _baseline(self):
        """The parameters the population-level kernels use (without covariates: all of them)."""
        return self._theta

    def _theta_rows(self, theta, sl):
        """The parameters of rows ``sl`` of the last ``_pred_data``: ``theta`` itself, or per-row
        arrays for a model with covariates."""
        return theta

    def _k_cond(self, theta, t, x, tx, T):
        """Conditional expected purchases: the rate part is evaluated once per unique (x, T)."""
        pa = self._k_p_alive(theta, x, tx, T)
        if np.ndim(t) == 0:
            (xu, Tu), inv = unique_rows(x, T)
            return self._k_rate(theta, t, xu, Tu)[inv] * pa
        return self._k_rate(theta, t, x, T) * pa

    def _k_discounted(self, theta, steps, disc, x, tx, T):
        """Σ_i disc_i · (E[X(steps_i)] − E[X(steps_{i−1})]), E the conditional expectation."""
        (xu, Tu), inv = unique_rows(x, T)  # the rate part depends on x and T only
        prev = 0.0
        total = np.zeros(len(xu))
        for i, t in enumerate(steps):
            cur = self._k_rate(theta, t, xu, Tu)
            total += (cur - prev) * disc[i]
            prev = cur
        return total[inv] * self._k_p_alive(theta, x, tx, T)

    @staticmethod
    def _check_t(t, name="t"):
        arr = np.asarray(t, float)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ParameterError(f"{name}={t!r} must be a non-negative number of periods.")
        return arr

    def expected_purchases(self, t):
        """Expected repeat purchases in (0, t] for a new customer (t in the summary's unit)."""
        self._check_fitted()
        t = self._check_t(t)
        return self._k_expected(self._theta, t)

    def conditional_expected_purchases(self, t, data=None, *, interval=False, method="exact"):
        """Expected purchases in the next ``t`` periods for each customer.

        Parameters
        ----------
        t : float
            Horizon in the summary's unit (``time_unit_``).
        data : DataFrame, optional
            Summary in the same unit; default: the data the model was fitted on.
        interval : bool
            Also return a 95% delta-method interval (columns ``lower``, ``upper``).
        method : str
            ``"exact"``, the model's closed form (the only method of these models; BG/CNBD-k
            and MBG/CNBD-k also have ``"btydplus"``).
        """
        check_method(self, method)
        t = float(self._check_t(t))
        idx, x, tx, T = self._pred_data(data)
        if not interval:
            return pd.Series(self._k_cond(self._theta_rows(self._theta, slice(None)), t, x, tx, T),
                             index=idx, name="expected_purchases")

        def f(th, _, sl):
            return self._k_cond(self._theta_rows(th, sl), t, x[sl], tx[sl], T[sl])

        return interval_frame(*self._delta_interval(f, len(x)), idx, "expected_purchases")

    def p_alive(self, data=None, *, interval=False):
        """P(alive) at the end of the calibration period for each customer."""
        idx, x, tx, T = self._pred_data(data)
        if not interval:
            return pd.Series(self._k_p_alive(self._theta_rows(self._theta, slice(None)), x, tx, T),
                             index=idx, name="p_alive")

        def f(th, _, sl):
            return self._k_p_alive(self._theta_rows(th, sl), x[sl], tx[sl], T[sl])

        return interval_frame(*self._delta_interval(f, len(x), transform="logit"), idx, "p_alive")

    def pmf(self, n, t):
        """P(X(t) = n): probability of ``n`` repeat purchases in (0, t] for a new customer."""
        self._check_fitted()
        t = float(self._check_t(t))
        n = np.asarray(n)
        if np.any(n < 0) or np.any(n != np.round(n)):
            raise ParameterError(f"n={n!r} must be a non-negative whole number of purchases.")
        return self._k_pmf(self._baseline(), n, t)

    def clv(self, spend_model, horizon, discount_rate, data=None, *, rate_unit=None, interval=False):
        """Discounted expected value of each customer's purchases over ``horizon`` periods.

        CLV = m · Σ_{i=1..H} (E[X(i)] − E[X(i−1)]) / (1 + d)^i, with E the conditional expected
        purchases, periods in the summary's unit, and d the discount rate per such period.

        Parameters
        ----------
        spend_model : GammaGamma or float or Series
            A fitted :class:`GammaGamma` (its conditional expected spend per customer is used;
            ``data`` must then have ``monetary_value``), or a spend per purchase.
        horizon : int
            Number of periods of the summary's unit (e.g. 52 for a year on a weekly summary).
        discount_rate : float
            Discount rate quoted per ``rate_unit``.
        rate_unit : {'D', 'W', 'M', 'Y'}
            Period the rate is quoted per; required, and converted exactly to the summary's unit.
        interval : bool
            Also return a 95% delta-method interval using both models' parameter covariances.
        """
        idx, x, tx, T = self._pred_data(data)
        d = discount_per_period(discount_rate, rate_unit, self.time_unit_)
        H = int(horizon)
        if H != horizon or H < 1:
            raise ParameterError(f"horizon={horizon!r} must be a whole number of periods >= 1.")
        frame = self.data_ if data is None else data
        spend_fn, extra = _spend(spend_model, frame, len(x))
        steps = np.arange(1, H + 1, dtype=float)
        disc = (1 + d) ** -steps

        def f(th, th_spend, sl):
            return (self._k_discounted(self._theta_rows(th, sl), steps, disc, x[sl], tx[sl], T[sl])
                    * spend_fn(th_spend, sl))

        if not interval:
            th_s = extra[0] if extra else None
            return pd.Series(f(self._theta, th_s, slice(None)), index=idx, name="clv")
        return interval_frame(*self._delta_interval(f, len(x), extra=extra), idx, "clv")


def _spend(spend_model, frame, n):
    """A function (theta_spend, rows) -> spend per purchase, and the spend model's covariance."""
    from .gammagamma import GammaGamma

    if isinstance(spend_model, GammaGamma):
        spend_model._check_fitted()
        require_monetary(frame, "clv with a Gamma-Gamma spend model")
        check_columns(frame, ("frequency", "monetary_value"), "clv")
        x = numeric(frame, "frequency", "clv")
        m = numeric(frame, "monetary_value", "clv")

        def fn(th, sl):
            return spend_model._k_spend(th, x[sl], m[sl])

        return fn, (spend_model._theta, spend_model.covariance_log_.to_numpy())
    if isinstance(spend_model, pd.Series):
        vals = spend_model.reindex(frame.index).to_numpy(float)
        if np.isnan(vals).any():
            raise ParameterError("spend_model: the spend Series lacks some customers of the summary.")
    else:
        try:
            vals = np.broadcast_to(np.asarray(spend_model, float), (n,))
        except (TypeError, ValueError):
            raise ParameterError(
                "spend_model must be a fitted crmlab.clv.GammaGamma, a number or a Series of spend "
                "per purchase indexed by customer."
            ) from None
    return (lambda th, sl: vals[sl]), None
