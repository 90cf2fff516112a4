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

import math

import numpy as np
import pandas as pd
from scipy.special import betaln, comb, digamma, gammaln, hyp2f1, logsumexp, polygamma, xlogy

from ..errors import ModelError, ParameterError
from .base import Model, check_columns, interval_frame, numeric, unique_rows, weights_of
from .predict import _spend, check_method

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

    def _given_unit(self, time_unit):
        return "periods" if time_unit is None else str(time_unit)

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
        # the likelihood runs on the distinct (x, t_x, n) patterns with summed weights, so the cost
        # does not grow with the number of customers; "inv" maps each row back for predictions
        d = _patterns(x, tx, n)
        d["w"] = np.bincount(d["inv"], weights=w, minlength=len(d["x"]))
        return d

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
        """Row index, the distinct (x, t_x, n) patterns and the row -> pattern map."""
        self._check_fitted()
        if data is None:
            self._no_given()
            return self.data_.index, self._d, self._d["inv"]
        x, tx, n = self._arrays(data)
        d = _patterns(x, tx, n)
        return data.index, d, d["inv"]

    def _per_customer(self, kernel, data, name, interval, transform="log"):
        """``kernel(theta, patterns)`` per row of ``data``, evaluated once per distinct pattern
        (with a delta-method interval on the patterns when asked)."""
        idx, d, inv = self._pred(data)
        if not interval:
            return pd.Series(kernel(self._theta, d)[inv], index=idx, name=name)
        est, lo, hi = self._delta_interval(lambda th, _, sl: kernel(th, d)[sl], len(d["x"]),
                                           transform=transform)
        return interval_frame(est[inv], lo[inv], hi[inv], idx, name)

    def _k_p_alive(self, theta, d, ahead=0):
        al, be, ga, de = theta
        x, n = d["x"], d["n"]
        ll, _ = self._loglik(theta, d, grad=False)
        return np.exp(betaln(al + x, be + n - x) - betaln(al, be) + betaln(ga, de + n + ahead)
                      - betaln(ga, de) - ll)

    def _k_cond(self, theta, t, d):
        al, be, ga, de = theta
        x, n = d["x"], d["n"]
        ll, _ = self._loglik(theta, d, grad=False)
        lp2 = betaln(al + x + 1, be + n - x) - betaln(al, be)
        return np.exp(lp2 - ll) * _alive_opportunities(ga, de, n, t)

    def p_alive(self, data=None, *, ahead: int = 0, interval=False):
        """P(alive) per customer, at the last of the ``n_periods`` opportunities or ``ahead``
        opportunities later.

        ``ahead=0`` (default) is "alive at the end of the data". ``ahead=m`` is the probability
        of still being alive m opportunities after the data (having survived m more dropout
        draws), B(α+x, β+n−x)/B(α,β) · B(γ, δ+n+m)/B(γ,δ) / L: Fader, Hardie & Shang (2010)
        Table 6, "P(alive in 2002)" for data through 2001, is ``ahead=1``.
        """
        m = ahead
        if isinstance(m, bool) or not isinstance(m, (int, np.integer, float)) or m < 0 or m != int(m):
            raise ParameterError(f"ahead={ahead!r} must be a whole number of opportunities >= 0.")
        return self._per_customer(lambda th, d: self._k_p_alive(th, d, int(m)), data, "p_alive",
                                  interval, transform="logit")

    def conditional_expected_purchases(self, t, data=None, *, interval=False, method="exact"):
        """Expected purchases in the next ``t`` opportunities (eq. 13 of FHS 2010); ``method``
        is ``"exact"``, the only one."""
        check_method(self, method)
        if t < 0 or t != int(t):
            raise ParameterError(f"t={t!r} must be a whole number of future opportunities.")
        return self._per_customer(lambda th, d: self._k_cond(th, t, d), data, "expected_purchases",
                                  interval)

    def expected_purchases(self, t):
        """E[X(t)]: expected purchases in the first ``t`` opportunities of a new customer."""
        self._check_fitted()
        al, be, ga, de = self._theta
        return al / (al + be) * _alive_opportunities(ga, de, 0.0, np.asarray(t, float))

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
        period = str((self.data_.attrs if self.data_ is not None else {}).get("period", "")).lower()
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
        z = 1.0 / (1.0 + rate)
        return self._per_customer(lambda th, d: self._k_dert(th, d, z, H), data, "dert", interval)

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
        idx, d, inv = self._pred(data)
        frame = self.data_ if data is None else data
        spend_fn, extra = _spend(spend_model, frame, len(inv))
        z = 1.0 / (1.0 + rate)
        memo = {}  # DERT per pattern for each parameter vector the delta method tries

        def f(th, th_spend, sl):
            key = th.tobytes()
            if key not in memo:
                memo[key] = self._k_dert(th, d, z, H)
            return memo[key][inv[sl]] * spend_fn(th_spend, sl)

        if not interval:
            return pd.Series(f(self._theta, extra[0] if extra else None, slice(None)), index=idx,
                             name="clv")
        return interval_frame(*self._delta_interval(f, len(inv), extra=extra), idx, "clv")

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


#: |gamma - 1| below which :func:`_alive_opportunities` expands log Γ around γ = 1 (a Taylor
#: series in γ − 1 with four polygamma terms, truncation error ~ 1e-17) instead of differencing
#: log Γ values, which loses ~ 1e-16 · log Γ / |γ − 1| of relative accuracy near γ = 1.
_GAMMA_ONE = 1e-3


def _lgamma_shift(x, eps):
    """log Γ(x + eps) − log Γ(x), accurate also for tiny ``eps`` (Taylor series below _GAMMA_ONE)."""
    if abs(eps) >= _GAMMA_ONE:
        return gammaln(x + eps) - gammaln(x)
    return sum(eps**k / math.factorial(k) * polygamma(k - 1, x) for k in range(1, 5))


def _alive_opportunities(gamma, delta, n, t):
    """Σ_{i=n+1}^{n+t} B(γ, δ+i)/B(γ, δ): the dropout factor of FHS (2010) eq. 13.

    The closed form is δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+t)/Γ(γ+δ+n+t)],
    which is 0/0 at γ = 1 (limit δ · [ψ(1+δ+n+t) − ψ(1+δ+n)]). With ε = γ − 1 and
    D(x) = log Γ(x+ε) − log Γ(x) the bracket is e^{−D(a)} · (1 − e^{−(D(b) − D(a))}) for
    a = 1+δ+n, b = a+t, and (1 − e^{−y})/ε is evaluated as (y/ε) · (1 − e^{−y})/y, so that the
    result is exact to rounding for every γ, including γ = 1.
    """
    a = 1 + delta + np.asarray(n, float)
    b = a + np.asarray(t, float)
    eps = gamma - 1.0
    if eps == 0.0:
        y_over_eps = digamma(b) - digamma(a)
        shrink = np.ones_like(y_over_eps)
    else:
        y = _lgamma_shift(b, eps) - _lgamma_shift(a, eps)
        y_over_eps = y / eps
        with np.errstate(invalid="ignore", divide="ignore"):
            shrink = np.where(y == 0, 1.0, -np.expm1(-y) / np.where(y == 0, 1.0, y))
    return (delta * np.exp(_lgamma_shift(1 + delta, eps) - _lgamma_shift(a, eps))
            * y_over_eps * shrink)


def _log_dropout_sum(gamma, delta, n, z, horizon):
    """log Σ_{s=1..H} z^s · B(γ, δ+n+s)/B(γ, δ), for each n (an array).

    B(γ, δ+n+s)/B(γ, δ) is the prior-weighted chance of surviving opportunities 1..n+s, so after
    dividing by the likelihood this sums the discounted chances of being alive at n+1, ..., n+H.
    A finite H is summed term by term (in blocks, log space); H = ∞ is the closed form of
    Fader, Hardie & Shang (2010, eq. 14), which needs z < 1::

        B(γ, δ+n+1)/B(γ, δ) · z · 2F1(1, δ+n+1; γ+δ+n+1; z)

    2F1 comes from scipy where it is valid, else from Euler's integral (:func:`_hyp2f1_euler`).
    """
    n = np.asarray(n, float)
    base = -betaln(gamma, delta)
    if np.isinf(horizon):
        with np.errstate(all="ignore"):
            f = np.atleast_1d(hyp2f1(1.0, delta + n + 1, gamma + delta + n + 1, z)).astype(float)
        # every term of the series lies in (0, z^k], so 1 <= 2F1 <= 1/(1-z); scipy returns nan
        # (or worse) for large δ+n with z near 1, e.g. hundreds of weekly opportunities
        bad = ~(np.isfinite(f) & (f >= 1.0) & (f <= (1 + 1e-9) / (1 - z)))
        for i in np.flatnonzero(bad):
            f[i] = _hyp2f1_euler(gamma, delta + n.flat[i] + 1, z)
        return betaln(gamma, delta + n + 1) + base + np.log(z) + np.log(f.reshape(n.shape))
    out = np.full(n.shape, -np.inf)
    if z == 0:
        return out
    lz = np.log(z)
    for start in range(1, int(horizon) + 1, _SUM_BLOCK):
        s = np.arange(start, min(int(horizon), start + _SUM_BLOCK - 1) + 1, dtype=float)
        terms = s[None, :] * lz + betaln(gamma, delta + n[:, None] + s[None, :])
        out = np.logaddexp(out, logsumexp(terms, axis=1))
    return out + base


def _hyp2f1_euler(gamma, b, z):
    """2F1(1, b; b+γ; z) for 0 < z < 1 from Euler's integral, by adaptive quadrature.

    2F1(1, b; b+γ; z) = E[1/(1 − z·t)] with t ~ Beta(b, γ); with θ = 1 − t and r = 1/z − 1::

        = ∫ θ^(γ−1) (1−θ)^(b−1) / (θ + r) dθ / (z · B(γ, b))

    The Beta(γ, b) mass sits within a few (γ + 40)/(γ + b) of θ = 0, where the quadrature is
    split; an integrable θ^(γ−1) singularity (γ < 1) goes into the weight.
    """
    from scipy import integrate

    r = 1.0 / z - 1.0
    m = b - 1.0
    hi = min(1.0, (gamma + 40.0 + 10.0 * np.sqrt(gamma)) / (gamma + b))
    opts = dict(epsabs=0.0, epsrel=1e-12, limit=200)
    if gamma < 1:
        lscale = 0.0  # the integrand is at most 1/r there

        def body(th):
            return np.exp(m * np.log1p(-th) - lscale) / (th + r)

        v, _ = integrate.quad(body, 0.0, hi, weight="alg", wvar=(gamma - 1.0, 0.0), **opts)
        full = lambda th: body(th) * th ** (gamma - 1.0)  # noqa: E731
    else:
        mode = (gamma - 1.0) / (gamma - 1.0 + m) if gamma - 1.0 + m > 0 else 0.0
        lscale = (gamma - 1.0) * np.log(mode) + m * np.log1p(-mode) if 0 < mode < 1 else 0.0

        def full(th):
            return np.exp(xlogy(gamma - 1.0, th) + m * np.log1p(-th) - lscale) / (th + r)

        pts = [p for p in (mode,) if 0 < p < hi]
        v, _ = integrate.quad(full, 0.0, hi, points=pts or None, **opts)
    if hi < 1.0:
        v += integrate.quad(full, hi, 1.0, **opts)[0]
    return float(np.exp(np.log(v) + lscale - np.log(z) - betaln(gamma, b)))


def _patterns(x, tx, n):
    """The distinct (x, t_x, n) rows as likelihood data, with ``inv`` mapping rows to them."""
    (xu, txu, nu), inv = unique_rows(x, tx, n)
    J = int((nu - txu).max()) if len(nu) else 0
    j = np.arange(J)
    return {"x": xu, "tx": txu, "n": nu, "j": j, "mask": j[None, :] < (nu - txu)[:, None], "inv": inv}
