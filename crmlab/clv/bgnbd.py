"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

Both share one likelihood with a shift ``s`` (0 for BG/NBD, 1 for MBG/NBD, where a customer may
also drop out right after the first purchase)::

    LL = lnΓ(r+x) - lnΓ(r) + r ln α + ln B(a, b+x+s) - ln B(a, b)
         + logaddexp(-(r+x) ln(α+T), [x>0 or s=1] (ln a - ln(b+x+s-1) - (r+x) ln(α+t_x)))

Boundary solutions
------------------
When the maximum lies at a, b → ∞, the dropout probability becomes the same number p = a/(a+b)
for every customer (and p → 0 means no dropout at all: the NBD). The fitter then refits that
limiting model, (r, α, p), reports ``a = b = inf`` with ``dropout_p_ = p``, and predicts with the
limit formulas, so office-style logs get a finite likelihood instead of a convergence error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, digamma, gammaln, hyp2f1

from .base import LOG_BOUND, Convergence, Model, _EDGE, by_x, check_columns, check_frt, frt_data, numeric, weights_of
from .predict import ContinuousPredictions


_RIDGE = 1e3  # a + b beyond which the a, b -> infinity limit is fitted and compared


class BetaGeo(ContinuousPredictions, Model):
    """BG/NBD model of repeat purchasing with dropout after a purchase.

    Parameters
    ----------
    penalizer : float
        L2 penalty on the parameters as in lifetimes (``penalizer * sum(params**2)`` added to the
        mean negative log-likelihood). 0 (the default) is plain maximum likelihood.
    n_starts : int
        Number of L-BFGS-B starts (the best is kept).
    seed : int
        Seed for the random starting points.

    Attributes
    ----------
    params_ : Series
        ``r, alpha, a, b``; on a boundary fit ``a = b = inf``.
    dropout_p_ : float or None
        On a boundary fit, the common dropout probability p (0: no dropout).
    """

    name = "BG/NBD"
    key = "bgnbd"
    param_names = ("r", "alpha", "a", "b")
    _shift = 0

    # -- data ---------------------------------------------------------------------------------
    def _prepare(self, data):
        return prepare_frt(data, self.name)

    def _starts(self, d):
        mx, mT = mean_x_T(d)
        base = np.log([0.5, 0.5 * mT / mx, 1.0, 2.0])
        return [base, np.log([1.0, mT / mx, 0.5, 5.0]), np.zeros(4)]

    # -- likelihood ---------------------------------------------------------------------------
    def _loglik(self, theta, d, grad=True):
        x, tx, T = d["x"], d["tx"], d["T"]
        s = self._shift
        if len(theta) == 4:
            r, alpha, a, b = theta
            A2 = by_x(d, x, lambda v: betaln(a, b + v + s)) - betaln(a, b)
            with np.errstate(invalid="ignore", divide="ignore"):  # x = 0 rows are masked below
                logodds = np.log(a) - np.log(b + x + s - 1)
        else:  # limit a, b -> inf with p = a/(a+b); len 2 is the NBD (p = 0)
            r, alpha = theta[:2]
            p = theta[2] if len(theta) == 3 else 0.0
            A2 = (x + s) * np.log1p(-p)
            logodds = np.full_like(x, np.log(p) - np.log1p(-p) if p > 0 else -np.inf)
        lat, lax = np.log(alpha + T), np.log(alpha + tx)
        A1 = by_x(d, x, lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha)
        A3 = -(r + x) * lat
        active = (x > 0) | (s == 1)
        A4 = np.where(active, logodds - (r + x) * lax, -np.inf)
        L = np.logaddexp(A3, A4)
        ll = A1 + A2 + L
        if not grad:
            return ll, None
        p3 = np.exp(A3 - L)
        p4 = 1.0 - p3
        g = np.empty((len(x), len(theta)))
        g[:, 0] = r * (by_x(d, x, lambda v: digamma(r + v)) - digamma(r) + np.log(alpha)
                       - p3 * lat - p4 * lax)
        g[:, 1] = alpha * (r / alpha - (r + x) * (p3 / (alpha + T) + p4 / (alpha + tx)))
        if len(theta) == 4:
            dab = digamma(a + b) - by_x(d, x, lambda v: digamma(a + b + v + s))
            g[:, 2] = a * (dab + p4 / a)
            g[:, 3] = b * (dab + by_x(d, x, lambda v: digamma(b + v + s)) - digamma(b)
                           - p4 / (b + x + s - 1))
        elif len(theta) == 3:
            g[:, 2] = (p4 - (x + s) * p) / (1 - p)
        return ll, g

    def _after_given(self):
        self.dropout_p_ = None

    # -- boundary -----------------------------------------------------------------------------
    def _fit(self, data):
        super()._fit(data)
        self.dropout_p_ = None
        logp = np.log(self._theta)
        if logp[3] > LOG_BOUND - _EDGE or logp[2] > LOG_BOUND - _EDGE:
            self._fit_limit()
        elif self._theta[2] + self._theta[3] > _RIDGE:
            # far out on the a, b ridge the likelihood is flat and L-BFGS-B may stop before the
            # box edge; the limiting model decides whether the maximum is at infinity
            interior = (self._theta.copy(), self.log_likelihood_, self.convergence_)
            self._fit_limit()
            if self.log_likelihood_ < interior[1] - 1e-9 * abs(interior[1]):
                self.convergence_ = interior[2]
                self._set_params(interior[0], self._d)
                self.dropout_p_ = None
        return self

    def _fit_limit(self):
        d = self._d
        r, alpha, a, b = self._theta
        p0 = min(max(a / (a + b), 1e-6), 0.5)
        starts = [np.log([r, alpha, p0]), np.log([r, alpha, 1e-3])]
        bounds = [(-LOG_BOUND, LOG_BOUND)] * 2 + [(-LOG_BOUND, np.log1p(-1e-9))]
        res, its = self._optimise(d, starts, bounds=bounds)
        theta = np.exp(res.x)
        nbd = False
        if res.x[2] < -LOG_BOUND + _EDGE:  # p -> 0: the NBD
            res2, its2 = self._optimise(d, [res.x[:2]])
            theta, its, nbd = np.exp(res2.x), its + its2, True
            res = res2
        p = 0.0 if nbd else float(theta[2])
        note = self._note("clv.no_dropout") if nbd else self._note("clv.const_dropout", p=p)
        self.convergence_ = Convergence(bool(res.success), str(res.message), self.convergence_.n_starts,
                                        self.convergence_.n_iterations + its, "a, b → ∞")
        self._set_params(theta, d, note=note)
        self.dropout_p_ = p
        # public names keep the four lifetimes parameters; a and b are infinite in the limit
        full = np.array([theta[0], theta[1], np.inf, np.inf])
        se = np.r_[self.standard_errors_.to_numpy()[:2], np.nan, np.nan]
        ci = self.confidence_intervals_.to_numpy()[:2]
        self.params_ = pd.Series(full, index=list(self.param_names), name="estimate")
        self.standard_errors_ = pd.Series(se, index=list(self.param_names), name="se")
        self.confidence_intervals_ = pd.DataFrame(np.vstack([ci, np.full((2, 2), np.nan)]),
                                                  index=list(self.param_names),
                                                  columns=["lower 95%", "upper 95%"])
        if not nbd:
            self.p_standard_error_ = float(np.sqrt(self.covariance_log_.to_numpy()[2, 2]) * p)

    def _set_params(self, theta, d, free=None, note=None):
        names = self.param_names
        if len(theta) < 4:  # reduced (limit) parametrisation while computing SEs
            self.param_names = ("r", "alpha", "p")[: len(theta)]
        try:
            super()._set_params(theta, d, free, note)
        finally:
            self.param_names = names

    # -- prediction kernels (theta of length 4, 3 = limit, 2 = NBD) ---------------------------
    def _k_p_alive(self, theta, x, tx, T):
        s = self._shift
        r, alpha = theta[:2]
        if len(theta) == 4:
            a, b = theta[2:]
            with np.errstate(invalid="ignore", divide="ignore"):  # x = 0 rows are masked below
                lo = np.log(a) - np.log(b + x + s - 1)
        elif len(theta) == 3:
            lo = np.log(theta[2]) - np.log1p(-theta[2])
        else:
            return np.ones_like(x)
        z = lo + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        z = np.where((x > 0) | (s == 1), z, -np.inf)
        return np.exp(-np.logaddexp(0.0, z))

    def _k_rate(self, theta, t, x, T):
        """E[X(t) | x, t_x, T] / P(alive): depends on x and T only."""
        s = self._shift
        r, alpha = theta[:2]
        if len(theta) == 4:
            a, b = theta[2:]
            hyp = hyp2f1(r + x, b + x + s, a + b + x + s - 1, t / (alpha + T + t))
            first = (a + b + x + s - 1) / (a - 1)
            return first * (1 - hyp * ((alpha + T) / (alpha + T + t)) ** (r + x))
        if len(theta) == 3:
            p = theta[2]
            return -np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p
        return (r + x) * t / (alpha + T)

    def _k_expected(self, theta, t):
        s = self._shift
        r, alpha = theta[:2]
        t = np.asarray(t, float)
        if len(theta) == 4:
            a, b = theta[2:]
            hyp = hyp2f1(r, b + s, a + b + s - 1, t / (alpha + t))
            first = (a + b - 1) / (a - 1) if s == 0 else b / (a - 1)
            return first * (1 - hyp * (alpha / (alpha + t)) ** r)
        if len(theta) == 3:
            p = theta[2]
            return (1 - p) ** s / p * -np.expm1(-r * np.log1p(p * t / alpha))
        return r * t / alpha

    def _k_pmf(self, theta, n, t):
        s = self._shift
        r, alpha = theta[:2]
        n = np.asarray(n, float)
        q = alpha / (alpha + t)
        lnb = gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * np.log(q) + n * np.log1p(-q)
        if len(theta) == 4:
            a, b = theta[2:]
            c1 = betaln(a, b + n + s) - betaln(a, b)
            c2 = betaln(a + 1, b + n + s - 1) - betaln(a, b)
        else:
            p = theta[2] if len(theta) == 3 else 0.0
            c1 = (n + s) * np.log1p(-p)
            c2 = np.log(p) + (n + s - 1) * np.log1p(-p) if p > 0 else np.full_like(n, -np.inf)
        tail = np.where(n > 0, betainc(np.maximum(n, 1e-300), r, 1 - q), 1.0)
        second = np.where((n > 0) | (s == 1), np.exp(c2) * tail, 0.0)
        return np.exp(c1 + lnb) + second


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD (Batislam et al. 2007): like BG/NBD, but a customer may drop out right after the
    first purchase, so P(alive) < 1 even with no repeat purchase. Parameters ``r, alpha, a, b``.
    """

    name = "MBG/NBD"
    key = "mbgnbd"
    _shift = 1


def mean_x_T(d) -> tuple[float, float]:
    """Weighted mean frequency and T (floored at 1e-3): the scale of the starting values."""
    w = d["w"]
    return max((w @ d["x"]) / w.sum(), 1e-3), max((w @ d["T"]) / w.sum(), 1e-3)


def prepare_frt(data, name: str):
    """Checked (frequency, recency, T, weights) arrays of a continuous-time model's summary."""
    check_columns(data, ("frequency", "recency", "T"), name)
    x = numeric(data, "frequency", name)
    tx = numeric(data, "recency", name)
    T = numeric(data, "T", name)
    check_frt(x, tx, T, name)
    w = weights_of(data, name)
    if not ((x > 0) & (w > 0)).any():
        raise ModelError_(name)
    return frt_data(x, tx, T, w)


def ModelError_(name):
    from ..errors import ModelError

    return ModelError(
        f"{name}: no customer has a repeat purchase (every frequency is 0), so the purchase rate "
        "cannot be estimated. Use a longer calibration period or check the summary."
    )
