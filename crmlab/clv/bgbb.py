"""BG/BB: discrete-time non-contractual model (Fader, Hardie & Shang 2010, Marketing Science).

Each of ``n_periods`` purchase opportunities is a Bernoulli(p) trial while alive; after each
opportunity the customer dies with probability θ. p ~ Beta(alpha, beta), θ ~ Beta(gamma, delta).
Inputs: ``frequency`` (x), ``recency`` (t_x, the opportunity of the last purchase) and
``n_periods`` (n; lifetimes' ``periods`` is accepted). The likelihood (eq. 5 of the paper)::

    L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
        + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)

Time is counted in purchase opportunities, so CLV and DERT discount *per opportunity*: the
discount rate is passed with ``rate_unit="opportunity"`` (see :meth:`BetaGeoBetaBinom.clv`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, comb, digamma, gammaln, hyp2f1, logsumexp

from ..errors import ModelError, ParameterError
from .base import Model, check_columns, interval_frame, numeric, weights_of
from .predict import _spend

#: ``rate_unit`` that says a discount rate is quoted per purchase opportunity.
OPPORTUNITY = "opportunity"
#: calendar length of one opportunity (``attrs["period"]``) -> the ``rate_unit`` letter it equals
_PERIOD_LETTER = {"day": "D", "week": "W", "month": "M", "year": "Y",
                  "d": "D", "w": "W", "m": "M", "y": "Y"}
_SUM_BLOCK = 512  # opportunities summed per block in a finite-horizon DERT


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

    # -- discounted value (FHS 2010, eq. 14) -----------------------------------------------------
    def _discount(self, discount_rate, rate_unit) -> float:
        """The discount rate per purchase opportunity, or a ParameterError saying how to fix it.

        One BG/BB period is one opportunity, so the rate must be quoted per opportunity
        (``rate_unit="opportunity"``, or the summary's own ``time_unit``). A calendar unit is
        accepted only when the summary says one opportunity lasts exactly that long
        (``attrs["period"]``, e.g. ``"year"`` for the donations data, so ``rate_unit="Y"``);
        any other unit is refused rather than converted by a guessed opportunity length.
        """
        own = {OPPORTUNITY, str(self.time_unit_).lower()}
        period = str(self.data_.attrs.get("period", "")).lower()
        if rate_unit is None:
            raise ParameterError(
                f"{self.name}: discount_rate needs rate_unit={OPPORTUNITY!r}: one BG/BB period is one "
                "purchase opportunity, so the rate must be quoted per opportunity."
            )
        ru = str(rate_unit)
        letter = _PERIOD_LETTER.get(period)
        if ru.lower() not in own and not (letter is not None and ru.upper() == letter):
            said = f"one opportunity is one {period}" if period else \
                "the summary does not say how long an opportunity lasts (attrs['period'])"
            raise ParameterError(
                f"{self.name}: rate_unit={rate_unit!r} does not match the model's period: one BG/BB "
                f"period is one purchase opportunity and {said}. Convert the rate to one "
                f"opportunity, (1 + rate) ** (opportunity length / rate period) - 1, and pass "
                f"rate_unit={OPPORTUNITY!r}."
            )
        rate = float(discount_rate)
        if not np.isfinite(rate) or rate < 0:
            raise ParameterError(f"discount_rate={discount_rate!r} must be a finite number >= 0 "
                                 "per opportunity.")
        return rate

    @staticmethod
    def _check_horizon(horizon, rate):
        if horizon is None or (isinstance(horizon, (int, float, np.number)) and np.isinf(horizon)
                               and horizon > 0):
            if rate <= 0:
                raise ParameterError(
                    "horizon=inf needs discount_rate > 0: undiscounted purchases over an unlimited "
                    "future need not add up to a finite number; give a finite horizon."
                )
            return np.inf
        try:
            H = int(horizon)
        except (TypeError, ValueError, OverflowError):
            H = None
        if H is None or H != horizon or H < 1:
            raise ParameterError(f"horizon={horizon!r} must be a whole number of opportunities >= 1, "
                                 "or numpy.inf for the whole residual lifetime.")
        return H

    def _k_dert(self, theta, d, z, horizon):
        """Discounted expected residual transactions per customer (row of ``d``)."""
        al, be, ga, de = theta
        x, n = d["x"], d["n"]
        ll, _ = self._loglik(theta, d, grad=False)
        lp = betaln(al + x + 1, be + n - x) - betaln(al, be)  # E[p] part of the posterior
        nu, inv = np.unique(n, return_inverse=True)  # n takes few values: sum once per value
        return np.exp(lp + _log_dropout_sum(ga, de, nu, z, horizon)[inv] - ll)

    def dert(self, discount_rate, data=None, *, horizon=np.inf, rate_unit=None, interval=False):
        """Discounted expected residual transactions (DERT), per customer.

        DERT = Σ_{s=1..H} (E[X(n, n+s)] − E[X(n, n+s−1)]) / (1+d)^s: the expected purchase at
        each of the next ``horizon`` opportunities, discounted by ``discount_rate`` per
        opportunity (the first future opportunity is discounted once). With ``horizon=inf``
        this is eq. 14 of Fader, Hardie & Shang (2010)::

            DERT = B(α+x+1, β+n−x)/B(α,β) · B(γ, δ+n+1)/(B(γ,δ)(1+d))
                   · 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)) / L(α,β,γ,δ | x, t_x, n)

        Parameters
        ----------
        discount_rate : float
            Discount rate per purchase opportunity (>= 0; > 0 for an infinite horizon).
        data : DataFrame, optional
            ``frequency``, ``recency``, ``n_periods``; default: the data the model was fitted on.
        horizon : int or numpy.inf
            Number of future opportunities; ``inf`` (default) is the whole residual lifetime.
        rate_unit : {'opportunity'}
            Required; see :meth:`clv` for the calendar unit accepted when the summary declares
            the length of one opportunity.
        interval : bool
            Also return a 95% delta-method interval (columns ``lower``, ``upper``).
        """
        self._check_fitted()
        rate = self._discount(discount_rate, rate_unit)
        H = self._check_horizon(horizon, rate)
        idx, d = self._pred(data)
        z = 1.0 / (1.0 + rate)
        if not interval:
            return pd.Series(self._k_dert(self._theta, d, z, H), index=idx, name="dert")
        f = lambda th, _, sl: self._k_dert(th, _rows(d, sl), z, H)  # noqa: E731
        return interval_frame(*self._delta_interval(f, len(d["x"])), idx, "dert")

    def clv(self, spend_model, horizon, discount_rate, data=None, *, rate_unit=None, interval=False):
        """Discounted expected value of each customer's future purchases: spend × DERT.

        The same call as the continuous-time models' ``clv``, with time in purchase
        opportunities: ``horizon`` counts future opportunities (``numpy.inf`` for the residual
        lifetime, eq. 14 of Fader, Hardie & Shang 2010) and ``discount_rate`` is quoted per
        opportunity, which ``rate_unit="opportunity"`` says explicitly. A calendar
        ``rate_unit`` ('D', 'W', 'M', 'Y') is accepted only when it equals the length of one
        opportunity declared in the summary's ``attrs["period"]`` (the donations data:
        ``"year"``, so ``rate_unit="Y"``); a mismatched unit raises ParameterError.

        Parameters
        ----------
        spend_model : GammaGamma or float or Series
            A fitted :class:`GammaGamma` (``data`` then needs ``monetary_value``), or a value per
            purchase (a number, or a Series indexed like ``data``).
        horizon : int or numpy.inf
            Number of future purchase opportunities.
        discount_rate : float
            Discount rate per opportunity.
        data : DataFrame, optional
            ``frequency``, ``recency``, ``n_periods``; default: the data the model was fitted on.
        rate_unit : {'opportunity'}
            Required (see above).
        interval : bool
            Also return a 95% delta-method interval from both models' parameter covariances.
        """
        self._check_fitted()
        rate = self._discount(discount_rate, rate_unit)
        H = self._check_horizon(horizon, rate)
        idx, d = self._pred(data)
        frame = self.data_ if data is None else data
        spend_fn, extra = _spend(spend_model, frame, len(d["x"]))
        z = 1.0 / (1.0 + rate)

        def f(th, th_spend, sl):
            return self._k_dert(th, _rows(d, sl), z, H) * spend_fn(th_spend, sl)

        if not interval:
            return pd.Series(f(self._theta, extra[0] if extra else None, slice(None)), index=idx,
                             name="clv")
        return interval_frame(*self._delta_interval(f, len(d["x"]), extra=extra), idx, "clv")

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


def _log_dropout_sum(gamma, delta, n, z, horizon):
    """log Σ_{s=1..H} z^s · B(γ, δ+n+s)/B(γ, δ), for each n (an array).

    B(γ, δ+n+s)/B(γ, δ) is the prior-weighted chance of surviving opportunities 1..n+s, so after
    dividing by the likelihood this sums the discounted chances of being alive at n+1, ..., n+H.
    A finite H is summed term by term (in blocks, log space); H = ∞ is the closed form of
    Fader, Hardie & Shang (2010, eq. 14), which needs z < 1::

        B(γ, δ+n+1)/B(γ, δ) · z · 2F1(1, δ+n+1; γ+δ+n+1; z)
    """
    n = np.asarray(n, float)
    base = -betaln(gamma, delta)
    if np.isinf(horizon):
        f = hyp2f1(1.0, delta + n + 1, gamma + delta + n + 1, z)
        if not np.all(np.isfinite(f) & (f > 0)):
            raise ModelError(
                "BG/BB: the hypergeometric series of the infinite-horizon DERT did not evaluate "
                f"(discount factor {z:.6g}); use a finite horizon instead."
            )
        return betaln(gamma, delta + n + 1) + base + np.log(z) + np.log(f)
    out = np.full(n.shape, -np.inf)
    if z == 0:
        return out
    lz = np.log(z)
    for start in range(1, int(horizon) + 1, _SUM_BLOCK):
        s = np.arange(start, min(int(horizon), start + _SUM_BLOCK - 1) + 1, dtype=float)
        terms = s[None, :] * lz + betaln(gamma, delta + n[:, None] + s[None, :])
        out = np.logaddexp(out, logsumexp(terms, axis=1))
    return out + base


def _rows(d, sl):
    return {"x": d["x"][sl], "tx": d["tx"][sl], "n": d["n"][sl], "j": d["j"], "mask": d["mask"][sl]}
