"""BG/BB: discrete-time non-contractual model (Fader, Hardie & Shang 2010, Marketing Science).

Each of ``n_periods`` purchase opportunities is a Bernoulli(p) trial while alive; after each
opportunity the customer dies with probability θ. p ~ Beta(alpha, beta), θ ~ Beta(gamma, delta).
Inputs: ``frequency`` (x), ``recency`` (t_x, the opportunity of the last purchase) and
``n_periods`` (n; lifetimes' ``periods`` is accepted). The likelihood (eq. 5 of the paper)::

    L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
        + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln
from scipy.special import comb

from ..errors import ModelError, ParameterError
from .base import Model, check_columns, interval_frame, numeric, weights_of


def _bl_grad(a, b):
    """(∂/∂a, ∂/∂b) of ln B(a, b)."""
    dab = digamma(a + b)
    return digamma(a) - dab, digamma(b) - dab


class BetaGeoBetaBinom(Model):
    """BG/BB model with parameters ``alpha, beta`` (purchase) and ``gamma, delta`` (dropout)."""

    name = "BG/BB"
    key = "bgbb"
    param_names = ("alpha", "beta", "gamma", "delta")

    def _unit_of(self, data):
        if not isinstance(data, pd.DataFrame):
            raise ModelError(f"{self.name} needs a DataFrame; got {type(data).__name__}.")
        return data.attrs.get("time_unit", "periods")

    def _arrays(self, data):
        if isinstance(data, pd.DataFrame) and "n_periods" not in data.columns and "periods" in data.columns:
            data = data.rename(columns={"periods": "n_periods"})
        check_columns(data, ("frequency", "recency", "n_periods"), self.name)
        x = numeric(data, "frequency", self.name)
        tx = numeric(data, "recency", self.name)
        n = numeric(data, "n_periods", self.name)
        for col, v in (("frequency", x), ("recency", tx), ("n_periods", n)):
            if (v < 0).any() or (v != np.round(v)).any():
                raise ModelError(f"{self.name}: column {col!r} must hold whole numbers >= 0.")
        if (x > tx).any() or (tx > n).any():
            raise ModelError(
                f"{self.name}: need frequency <= recency <= n_periods (x purchases in t_x "
                "opportunities out of n); fix the rows that break it."
            )
        if ((x == 0) & (tx > 0)).any():
            raise ModelError(f"{self.name}: frequency 0 requires recency 0.")
        return x, tx, n

    def _prepare(self, data):
        x, tx, n = self._arrays(data)
        w = weights_of(data, self.name)
        if not ((x > 0) & (w > 0)).any():
            raise ModelError(f"{self.name}: no customer has a purchase (all frequency 0); nothing to fit.")
        J = int((n - tx).max())
        j = np.arange(J)
        return {"x": x, "tx": tx, "n": n, "w": w, "j": j, "mask": j[None, :] < (n - tx)[:, None]}

    def _starts(self, d):
        return [np.log([1.0, 1.0, 1.0, 1.0]), np.log([0.5, 2.0, 0.5, 2.0]), np.log([2.0, 1.0, 1.0, 3.0])]

    def _terms(self, theta, d):
        al, be, ga, de = theta
        x, tx, n, j = d["x"][:, None], d["tx"][:, None], d["n"][:, None], d["j"][None, :]
        # column 0: alive through n; columns 1..: died after opportunity t_x + i
        c = np.concatenate([n, tx + j], axis=1)  # opportunities observed alive
        a2 = np.concatenate([np.full_like(n, ga), np.full(c[:, 1:].shape, ga + 1)], axis=1)
        b2 = np.concatenate([de + n, de + tx + j], axis=1)
        mask = np.concatenate([np.ones_like(n, bool), d["mask"]], axis=1)
        t = (betaln(al + x, be + c - x) - betaln(al, be) + betaln(a2, b2) - betaln(ga, de))
        t = np.where(mask, t, -np.inf)
        return t, c, a2, b2, mask

    def _loglik(self, theta, d, grad=True):
        al, be, ga, de = theta
        t, c, a2, b2, mask = self._terms(theta, d)
        mx = t.max(axis=1, keepdims=True)
        e = np.exp(t - mx)
        tot = e.sum(axis=1)
        ll = np.log(tot) + mx[:, 0]
        if not grad:
            return ll, None
        p = e / tot[:, None]
        x = d["x"][:, None]
        da0, db0 = _bl_grad(al, be)
        dg0, dd0 = _bl_grad(ga, de)
        da, db = _bl_grad(al + x, be + c - x)
        dg, dd = _bl_grad(a2, b2)
        g = np.empty((len(ll), 4))
        g[:, 0] = al * ((p * np.where(mask, da, 0)).sum(1) - da0)
        g[:, 1] = be * ((p * np.where(mask, db, 0)).sum(1) - db0)
        g[:, 2] = ga * ((p * np.where(mask, dg, 0)).sum(1) - dg0)
        g[:, 3] = de * ((p * np.where(mask, dd, 0)).sum(1) - dd0)
        return ll, g

    # -- predictions (t and n in purchase opportunities) ---------------------------------------
    def _pred(self, data):
        self._check_fitted()
        if data is None:
            return self.data_.index, self._d
        x, tx, n = self._arrays(data)
        J = int((n - tx).max()) if len(n) else 0
        j = np.arange(J)
        return data.index, {"x": x, "tx": tx, "n": n, "j": j, "mask": j[None, :] < (n - tx)[:, None]}

    def _k_p_alive(self, theta, d):
        al, be, ga, de = theta
        x, n = d["x"], d["n"]
        ll, _ = self._loglik(theta, d, grad=False)
        return np.exp(betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n)
                      - betaln(ga, de) - ll)

    def _k_cond(self, theta, t, d):
        al, be, ga, de = theta
        x, n = d["x"], d["n"]
        ll, _ = self._loglik(theta, d, grad=False)
        lp2 = betaln(al + x + 1, be + n - x) - betaln(al, be)
        lp3 = np.log(de) - np.log(abs(ga - 1)) + gammaln(ga + de) - gammaln(1 + de)
        p4 = np.exp(gammaln(1 + de + n) - gammaln(ga + de + n))
        p5 = np.exp(gammaln(1 + de + n + t) - gammaln(ga + de + n + t))
        return np.exp(lp2 + lp3 - ll) * (p4 - p5) * np.sign(ga - 1)

    def p_alive(self, data=None, *, interval=False):
        """P(alive) after the last of the ``n_periods`` opportunities, per customer."""
        idx, d = self._pred(data)
        if not interval:
            return pd.Series(self._k_p_alive(self._theta, d), index=idx, name="p_alive")
        n = len(d["x"])
        f = lambda th, _, sl: self._k_p_alive(th, _rows(d, sl))  # noqa: E731
        return interval_frame(*self._delta_interval(f, n, transform="logit"), idx, "p_alive")

    def conditional_expected_purchases(self, t, data=None, *, interval=False):
        """Expected purchases in the next ``t`` opportunities (eq. 13 of FHS 2010)."""
        if t < 0 or t != int(t):
            raise ParameterError(f"t={t!r} must be a whole number of future opportunities.")
        idx, d = self._pred(data)
        if not interval:
            return pd.Series(self._k_cond(self._theta, t, d), index=idx, name="expected_purchases")
        f = lambda th, _, sl: self._k_cond(th, t, _rows(d, sl))  # noqa: E731
        return interval_frame(*self._delta_interval(f, len(d["x"])), idx, "expected_purchases")

    def expected_purchases(self, t):
        """E[X(t)]: expected purchases in the first ``t`` opportunities of a new customer."""
        self._check_fitted()
        al, be, ga, de = self._theta
        t = np.asarray(t, float)
        return al / (al + be) * de / (ga - 1) * (
            1 - np.exp(gammaln(ga + de) - gammaln(ga + de + t) + gammaln(1 + de + t) - gammaln(1 + de)))

    def pmf(self, n, t):
        """P(X(t) = n) for a new customer over ``t`` opportunities (eq. 7 of FHS 2010)."""
        self._check_fitted()
        al, be, ga, de = self._theta
        t = int(t)
        xs = np.atleast_1d(np.asarray(n, int))
        out = []
        for x in xs:
            v = comb(t, x) * np.exp(betaln(al + x, be + t - x) - betaln(al, be) + betaln(ga, de + t)
                                    - betaln(ga, de))
            i = np.arange(x, t)
            v += np.sum(comb(i, x) * np.exp(betaln(al + x, be + i - x) - betaln(al, be)
                                            + betaln(ga + 1, de + i) - betaln(ga, de)))
            out.append(v)
        return np.array(out) if np.ndim(n) else out[0]


def _rows(d, sl):
    return {"x": d["x"][sl], "tx": d["tx"][sl], "n": d["n"][sl], "j": d["j"], "mask": d["mask"][sl]}
