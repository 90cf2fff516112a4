"""BG/CNBD-k and MBG/CNBD-k: purchase regularity (Platzer & Reutterer 2016; Reutterer, Platzer &
Schröder 2021; R package BTYDplus, ``bgcnbd.*`` and ``mbgcnbd.*``).

While alive, a customer's inter-purchase times are Erlang-k with rate λ (k = 1 is the
exponential of the BG/NBD: the larger k, the more regular the purchases); λ ~ Gamma(r, α)
across customers; after each repeat purchase (MBG: also right after the first) the customer
drops out with probability p ~ Beta(a, b). With s = 0 (BG) or 1 (MBG), x repeat purchases by
t_x, age T, and litt = Σ log inter-purchase times, the log-likelihood is::

    (k−1)·litt − x·lnΓ(k) + lnΓ(r+kx) − lnΓ(r) + r ln α + ln B(a, b+x+s) − ln B(a, b)
    + ln[ Σ_{i=0}^{k−1} Γ(r+kx+i)/Γ(r+kx) · (T−t_x)^i/i! · (α+T)^{−(r+kx+i)}
          + [x>0 or s=1] · a/(b+x+s−1) · (α+t_x)^{−(r+kx)} ]

The i-th alive term is the chance that i of the k Poisson steps towards the next purchase have
happened since t_x, so with k = 1 this is the BG/NBD (MBG/NBD) likelihood exactly. The litt term
does not depend on (r, α, a, b): for a given k the fit runs on the distinct (x, t_x, T) patterns,
and litt only enters the log-likelihood that compares values of k.

Predictions are exact sums (no simulation): given λ, the j-th future purchase needs k·j − m more
Poisson steps, m the steps already made since t_x, so with q = t/(α+T+t)::

    E[X(T, T+t) | x, t_x, T] = P(alive) · Σ_m π_m Σ_{j≥1} I_q(kj−m, r+kx+m) · B(a, b+x+s+j−1)/B(a, b+x+s)

with π_m ∝ the m-th alive term above and I the regularised incomplete beta function (the
negative-binomial tail). P(X(t) ≥ j) = I_{t/(α+t)}(kj, r) · B(a, b+j−1+s)/B(a, b) gives E[X(t)]
and the pmf.

k is a whole number ≥ 1: fixed with ``k=``, or found by fitting k = 1, 2, ... (each fit started
from the previous one) until the log-likelihood stops improving, as BTYDplus does.

BTYDplus's approximation
------------------------
``conditional_expected_purchases(t, data, method=...)`` (and ``clv.holdout_report(...,
method=...)``) choose how E[X(T, T+t) | x, t_x, T] is computed:

- ``"exact"`` (crmlab's default): the sum above.
- ``"btydplus"``: the approximation of BTYDplus's ``xbgcnbd.ConditionalExpectedTransactions``
  (version 1.1.4), with which Reutterer, Platzer & Schröder (2021) computed their holdout
  accuracy: the BG/NBD (MBG/NBD) conditional expectation with α replaced by k·α (a moved to
  a + 0.01 where it rounds to 1.00, as BTYDplus does), times the exact CNBD-k P(alive)::

      (a+b+x+s−1)/(a−1) · [1 − ((kα+T)/(kα+T+t))^(r+x) · ₂F₁(r+x, b+x+s; a+b+x+s−1; t/(kα+T+t))]
      · P(alive)

  When k > 1 and at least 100 customers are passed, every prediction is then multiplied by one
  factor, Σ_i (E[X(T_i+t_i)] − E[X(T_i)]) / Σ_i (approximation)_i, so that the cohort's total is
  the exact unconditional expectation of its purchases in the holdout (E[X] as below). That bias
  correction assumes that the customers passed are the whole cohort: a customer's prediction
  depends on who else is in ``data`` (weights of :func:`crmlab.compress` count customers). At
  k = 1 the approximation is the BG/NBD (MBG/NBD) closed form, with no correction. On a
  boundary fit (a, b → ∞) the BG/NBD expression is its limit, as for the BG/NBD itself
  (BTYDplus has no such fit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betainc, betaln, digamma, gammaln

from ..errors import DataError, ParameterError
from .base import LOG_BOUND, by_x, interval_frame, numeric, unique_rows, weights_of
from .bgnbd import BetaGeo, prepare_frt
from .predict import check_method

#: Largest k tried by the upward search (BTYDplus stops at 12; regular logs need less).
K_MAX = 30
#: How E[X(T, T+t) | x, t_x, T] can be computed (module docstring): crmlab's exact sum (the
#: default) or BTYDplus's approximation. Models without the attribute have "exact" only.
CONDITIONAL_METHODS = ("exact", "btydplus")
#: BTYDplus corrects its approximation's bias only when this many customers are passed (it then
#: assumes the whole cohort is there).
BIAS_CORRECTION_MIN = 100
_TAIL_SD = 12.0  # negative-binomial tails summed to the mean + 12 sd + the geometric tail (+ 30)


def _log_gap(T, tx):
    """log(T − t_x), −inf where the last purchase is at T."""
    gap = T - tx
    with np.errstate(divide="ignore"):
        return np.where(gap > 0, np.log(np.where(gap > 0, gap, 1.0)), -np.inf)


def _geometric_tail(q):
    """Terms beyond which a negative-binomial tail (ratio q per step) has fallen by e^-40: with a
    small shape r the tail is geometric rather than normal, so mean + 12 sd is not enough."""
    return 0.0 if q <= 0 else 40.0 / -np.log(q)


class BetaGeoCNBDk(BetaGeo):
    """BG/CNBD-k model: BG/NBD with Erlang-k inter-purchase times.

    Parameters
    ----------
    k : int, optional
        Regularity (Erlang shape), a whole number >= 1. None (the default) searches k = 1, 2, ...
        and keeps the maximum-likelihood k.
    k_max : int
        Largest k the search tries.
    **options
        As :class:`BetaGeo` (``penalizer``, ``n_starts``, ``seed``...).

    The summary needs ``litt`` (``crmlab.summarise(..., regularity=True)``).

    Attributes
    ----------
    params_ : Series
        ``k, r, alpha, a, b`` (``a = b = inf`` on a boundary fit, as for BG/NBD).
    k_ : int
        The regularity used.
    k_search_ : DataFrame or None
        Log-likelihood by k tried in the search (None when k was fixed).
    """

    name = "BG/CNBD-k"
    key = "bgcnbdk"
    _shift = 0
    conditional_methods = CONDITIONAL_METHODS

    def __init__(self, *, k: int | None = None, k_max: int = K_MAX, **options):
        super().__init__(**options)
        self.k = k
        self.k_max = k_max
        self._warm = None

    # -- k --------------------------------------------------------------------------------------
    @staticmethod
    def _check_k(k, name="k"):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer, float)) or k < 1 or k != int(k):
            raise ParameterError(f"{name}={k!r} must be a whole number >= 1 (k = 1 is the "
                                 "BG/NBD; None searches k).")
        return int(k)

    # -- data -----------------------------------------------------------------------------------
    def _prepare(self, data):
        d = prepare_frt(data, self.name)
        if "litt" not in data.columns:
            raise DataError(
                f"{self.name}: the summary has no 'litt' column (the sum of log inter-purchase "
                "times) that regularity models need; build it with "
                "crmlab.summarise(..., regularity=True).")
        litt = numeric(data, "litt", self.name)
        x = numeric(data, "frequency", self.name)
        w = weights_of(data, self.name)
        d["lgap"] = _log_gap(d["T"], d["tx"])
        d["litt_sum"] = float(w @ litt)
        d["x_sum"] = float(w @ x)
        return d

    def _starts(self, d):
        if self._warm is not None:
            return [self._warm.copy()]
        return super()._starts(d)

    # -- likelihood -----------------------------------------------------------------------------
    def _alive_terms(self, r, alpha, x, tx, T, d=None):
        """(n, k) log alive terms A_i (i steps since t_x) and ln Γ(r+kx+i) − ln Γ(r+kx)."""
        k = self.k_
        kx = k * x
        i = np.arange(k, dtype=float)[None, :]
        if d is not None and "xinv" in d and x is d["x"]:
            g = (gammaln(r + k * d["xs"][:, None] + i) - gammaln(r + k * d["xs"][:, None]))[d["xinv"]]
        else:
            g = gammaln(r + kx[:, None] + i) - gammaln(r + kx[:, None])
        if d is not None and "lgap" in d and x is d["x"]:
            lg = d["lgap"]  # data only: computed once per fit
        else:
            lg = _log_gap(T, tx)
        with np.errstate(invalid="ignore"):
            lgap = np.where(i == 0, 0.0, i * lg[:, None])
        A = g + lgap - gammaln(i + 1) - (r + kx[:, None] + i) * np.log(alpha + T)[:, None]
        return A, g

    def _loglik(self, theta, d, grad=True):
        x, tx, T = d["x"], d["tx"], d["T"]
        s, k = self._shift, self.k_
        kx = k * x
        if len(theta) == 4:
            r, alpha, a, b = theta
            A2 = by_x(d, x, lambda v: betaln(a, b + v + s)) - betaln(a, b)
            with np.errstate(invalid="ignore", divide="ignore"):  # x = 0 rows are masked below
                logodds = np.log(a) - np.log(b + x + s - 1)
        else:  # limit a, b -> inf with p = a/(a+b); len 2 is the (C)NBD (p = 0)
            r, alpha = theta[:2]
            p = theta[2] if len(theta) == 3 else 0.0
            A2 = (x + s) * np.log1p(-p)
            logodds = np.full_like(x, np.log(p) - np.log1p(-p) if p > 0 else -np.inf)
        # the k alive terms column by column (k is small; axis-1 reductions are slow)
        lat, lax = np.log(alpha + T), np.log(alpha + tx)
        lg = d["lgap"] if "lgap" in d else _log_gap(T, tx)
        rkx = r + kx
        A = []
        for i in range(k):
            gi = by_x(d, x, lambda v, i=i: gammaln(r + k * v + i) - gammaln(r + k * v)) if i else 0.0
            with np.errstate(invalid="ignore"):
                A.append(gi + (i * lg if i else 0.0) - gammaln(i + 1.0) - (rkx + i) * lat)
        active = (x > 0) | (s == 1)
        AD = np.where(active, logodds - rkx * lax, -np.inf)
        M = AD
        for Ai in A:
            M = np.maximum(M, Ai)
        E = [np.exp(Ai - M) for Ai in A]
        ED = np.exp(AD - M)
        tot = ED + sum(E)
        L = np.log(tot) + M
        A1 = by_x(d, x, lambda v: gammaln(r + k * v)) - gammaln(r) + r * np.log(alpha)
        ll = A1 + A2 + L
        if not grad:
            return ll, None
        pD = ED / tot
        palive = 1.0 - pD
        sdg = 0.0  # Σ_i π_i (ψ(r+kx+i) − ψ(r+kx)) and Σ_i π_i i
        si = 0.0
        for i in range(1, k):
            sdg = sdg + E[i] * by_x(d, x, lambda v, i=i: digamma(r + k * v + i) - digamma(r + k * v))
            si = si + i * E[i]
        sdg, si = sdg / tot, si / tot
        out = np.empty((len(x), len(theta)))
        out[:, 0] = r * (by_x(d, x, lambda v: digamma(r + k * v)) - digamma(r) + np.log(alpha)
                         + sdg - palive * lat - pD * lax)
        out[:, 1] = alpha * (r / alpha - (palive * rkx + si) / (alpha + T) - pD * rkx / (alpha + tx))
        if len(theta) == 4:
            dab = digamma(a + b) - by_x(d, x, lambda v: digamma(a + b + v + s))
            out[:, 2] = a * (dab + pD / a)
            out[:, 3] = b * (dab + by_x(d, x, lambda v: digamma(b + v + s)) - digamma(b)
                             - pD / (b + x + s - 1))
        elif len(theta) == 3:
            out[:, 2] = (pD - (x + s) * p) / (1 - p)
        return ll, out

    def _constant(self, d):
        """The litt part of the log-likelihood: the same for every (r, α, a, b) at this k."""
        k = self.k_
        return (k - 1) * d["litt_sum"] - d["x_sum"] * gammaln(k)

    def _set_params(self, theta, d, free=None, note=None):
        super()._set_params(theta, d, free, note)
        self.log_likelihood_ += self._constant(d)
        n_par = int(np.asarray(self._free).sum()) + (1 if self.k is None else 0)
        self.aic_ = -2 * self.log_likelihood_ + 2 * n_par
        self.bic_ = -2 * self.log_likelihood_ + np.log(self.n_customers_) * n_par

    # -- fitting --------------------------------------------------------------------------------
    def _fit(self, data):
        if self.k is not None:
            self.k_ = self._check_k(self.k)
            self.k_search_ = None
            super()._fit(data)
            return self._publish_k()
        k_max = self._check_k(self.k_max, "k_max")
        rows, best, warm = [], None, None
        for k in range(1, k_max + 1):
            m = type(self)(k=k, penalizer=self.penalizer, n_starts=1 if warm is not None else self.n_starts,
                           seed=self.seed, tol=self.tol, gtol=self.gtol, maxiter=self.maxiter)
            m._assume_unit = getattr(self, "_assume_unit", False)
            m._warm = warm
            m._fit(data)
            if warm is not None and m.convergence_.boundary is not None:
                # a boundary from the warm start may be a ridge the start led into: the usual
                # starts decide (the better of the two fits is kept)
                alt = type(self)(k=k, penalizer=self.penalizer, n_starts=self.n_starts, seed=self.seed,
                                 tol=self.tol, gtol=self.gtol, maxiter=self.maxiter)
                alt._assume_unit = m._assume_unit
                alt._fit(data)
                if alt.log_likelihood_ > m.log_likelihood_:
                    m = alt
            rows.append({"k": k, "log_likelihood": m.log_likelihood_})
            if best is not None and not m.log_likelihood_ > best.log_likelihood_:
                break
            best = m
            # warm start for k + 1: the same purchase rate needs λ (k+1)/k times larger
            th = np.log(np.clip(m._theta[:2], np.exp(-LOG_BOUND + 1), np.exp(LOG_BOUND - 1)))
            ab = np.log(np.clip(m._theta[2:4], 1e-3, 1e3)) if len(m._theta) == 4 else np.log([1.0, 30.0])
            warm = np.r_[th[0], th[1] + np.log(k / (k + 1)), ab]
        state = dict(best.__dict__)
        for key in ("k", "k_max", "penalizer", "n_starts", "seed", "tol", "gtol", "maxiter"):
            state.pop(key, None)
        self.__dict__.update(state)
        self._warm = None
        self.k_search_ = pd.DataFrame(rows).set_index("k")
        n_par = int(np.asarray(self._free).sum()) + 1
        self.aic_ = -2 * self.log_likelihood_ + 2 * n_par
        self.bic_ = -2 * self.log_likelihood_ + np.log(self.n_customers_) * n_par
        return self

    def _publish_k(self):
        """Public params_ / SEs / intervals carry k first (fixed, so without an SE)."""
        names = ["k", *self.params_.index]
        self.params_ = pd.Series(np.r_[float(self.k_), self.params_.to_numpy()], index=names, name="estimate")
        self.standard_errors_ = pd.Series(np.r_[np.nan, self.standard_errors_.to_numpy()], index=names, name="se")
        ci = self.confidence_intervals_.to_numpy()
        self.confidence_intervals_ = pd.DataFrame(np.vstack([[np.nan, np.nan], ci]), index=names,
                                                  columns=["lower 95%", "upper 95%"])
        return self

    # -- models from given parameters -----------------------------------------------------------
    def _set_given(self, params, time_unit):
        try:
            given = {str(key): v for key, v in dict(params).items()}
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name}: params must be a dict of k, r, alpha, a, b; got {params!r}.") from None
        if "k" not in given:
            raise ParameterError(f"{self.name}: params must name k (a whole number >= 1) and r, alpha, a, b.")
        self.k_ = self._check_k(given.pop("k"))
        self.k_search_ = None
        super()._set_given(given, time_unit)
        return self._publish_k()

    # -- prediction kernels ---------------------------------------------------------------------
    def _dropout(self, theta, m):
        """log E[(1−p)^m] under the dropout distribution (Beta, or the a, b → ∞ limits)."""
        if len(theta) == 4:
            a, b = theta[2:]
            return betaln(a, b + m) - betaln(a, b)
        p = theta[2] if len(theta) == 3 else 0.0
        return m * np.log1p(-p)

    def _k_p_alive(self, theta, x, tx, T):
        s = self._shift
        r, alpha = theta[:2]
        if len(theta) == 4:
            a, b = theta[2:]
            with np.errstate(invalid="ignore", divide="ignore"):
                lo = np.log(a) - np.log(b + x + s - 1)
        elif len(theta) == 3:
            lo = np.full_like(x, np.log(theta[2]) - np.log1p(-theta[2]))
        else:
            return np.ones_like(x)
        A, _ = self._alive_terms(r, alpha, x, tx, T)
        alive = np.logaddexp.reduce(A, axis=1)
        AD = np.where((x > 0) | (s == 1), lo - (r + self.k_ * x) * np.log(alpha + tx), -np.inf)
        return np.exp(alive - np.logaddexp(alive, AD))

    def _tail_sum(self, theta, t, x, T):
        """(n, k): Σ_{j≥1} P(NB ≥ kj − m) · E[(1−p)^{x+s+j−1}]/E[(1−p)^{x+s}] for m = 0..k−1,
        the expected future purchases of an alive customer who has made m steps since t_x.

        The negative-binomial tails come from one cumulative sum of its pmf per row (log-gamma
        terms, no incomplete beta calls): 1 − Σ_{i<n} pmf(i), accurate to ~1e-16 absolute."""
        r, alpha = theta[:2]
        k, s = self.k_, self._shift
        n = len(x)
        out = np.zeros((n, k))
        if n == 0:
            return out
        t = np.broadcast_to(np.asarray(t, float), (n,))
        q = t / (alpha + T + t)
        with np.errstate(divide="ignore"):
            lq, l1q = np.log(q), np.log1p(-q)
        base = self._dropout(theta, x + s)
        # rows in chunks of about 2M pmf terms, each chunk summed to its own depth
        order = np.argsort(x * q)
        cap = 2_000_000
        i0 = 0
        while i0 < n:
            rows = order[i0:]
            xr, qr, Tr, tr = x[rows], q[rows], T[rows], t[rows]
            shape_max = r + k * xr + (k - 1)
            mu = shape_max * tr / (alpha + Tr)
            sd = np.sqrt(mu * (1 + tr / (alpha + Tr)))
            depth = mu + _TAIL_SD * sd + np.array([_geometric_tail(v) for v in qr]) + 30 + k
            # take rows while the chunk's deepest row keeps the chunk under the cap
            J = np.ceil(np.maximum.accumulate(depth) / k).astype(int)
            take = max(1, int(np.searchsorted(np.arange(1, len(rows) + 1) * k * J * k, cap, side="right")))
            sel = rows[:take]
            Jc = int(J[take - 1])
            N = k * Jc
            nn = np.arange(N, dtype=float)[None, :]
            j = np.arange(1, Jc + 1, dtype=float)[None, :]
            drop = np.exp(self._dropout(theta, (x[sel] + s)[:, None] + j - 1) - base[sel][:, None])
            for mi in range(k):
                shape = (r + k * x[sel] + mi)[:, None]
                with np.errstate(invalid="ignore"):
                    lp = (gammaln(shape + nn) - gammaln(shape) - gammaln(nn + 1) + shape * l1q[sel][:, None]
                          + np.where(nn > 0, nn * lq[sel][:, None], 0.0))
                pmf = np.exp(lp)
                below = np.cumsum(pmf, axis=1)  # P(NB <= i)
                need = (k * j - mi).astype(int)  # P(NB >= need) = 1 - P(NB <= need - 1)
                tail = np.clip(1.0 - below[:, need[0] - 1], 0.0, 1.0)
                out[sel, mi] = (tail * drop).sum(axis=1)
            i0 += take
        return out

    def _k_cond(self, theta, t, x, tx, T):
        r, alpha = theta[:2]
        pa = self._k_p_alive(theta, x, tx, T)
        tt = np.broadcast_to(np.asarray(t, float), x.shape)
        (xu, Tu, tu), inv = unique_rows(x, T, np.ascontiguousarray(tt))
        S = self._tail_sum(theta, tu, xu, Tu)[inv]
        A, _ = self._alive_terms(r, alpha, x, tx, T)
        w = np.exp(A - np.logaddexp.reduce(A, axis=1)[:, None])  # steps made since t_x, given alive
        return pa * (w * S).sum(axis=1)

    def _k_rate(self, theta, t, x, T):
        raise NotImplementedError("CNBD-k: the conditional expectation depends on t_x; use _k_cond")

    def _k_cond_btydplus(self, theta, t, x, tx, T, w):
        """BTYDplus's approximate conditional expectation (module docstring), with its bias
        correction over the cohort of rows ``x, tx, T`` weighted by ``w``."""
        k = self.k_
        approx = np.array(theta, float)
        approx[1] *= k  # the BG/NBD expression with α scaled by k
        if len(approx) == 4 and np.round(approx[2], 2) == 1:
            approx[2] += 0.01  # BTYDplus: (a+b+x+s−1)/(a−1) is undefined at a = 1
        tt = np.broadcast_to(np.asarray(t, float), x.shape)
        est = BetaGeo._k_rate(self, approx, tt, x, T) * self._k_p_alive(theta, x, tx, T)
        if k > 1 and w.sum() >= BIAS_CORRECTION_MIN:
            ages, inv = np.unique(np.r_[T, T + tt], return_inverse=True)
            E = self._k_expected(theta, ages)[inv]
            n = len(x)
            total = w @ est
            if total > 0:  # (t = 0: nothing to scale)
                est = est * ((w @ E[n:] - w @ E[:n]) / total)
        return est

    def conditional_expected_purchases(self, t, data=None, *, interval=False, method="exact"):
        """Expected purchases in the next ``t`` periods for each customer: ``t``, ``data`` and
        ``interval`` as for every continuous-time model
        (:meth:`crmlab.clv.predict.ContinuousPredictions.conditional_expected_purchases`).

        Parameters
        ----------
        method : {"exact", "btydplus"}
            "exact" (crmlab's default) sums the Erlang steps exactly. "btydplus" is the
            approximation of BTYDplus, which Reutterer, Platzer & Schröder (2021) used for their
            holdout results: the BG/NBD expression with α scaled by k, then (k > 1, at least 100
            customers) one bias-correction factor for all of ``data``, which must therefore be
            the whole cohort (see :mod:`crmlab.clv.cnbdk`).
        """
        if check_method(self, method) == "exact":
            return super().conditional_expected_purchases(t, data, interval=interval)
        t = float(self._check_t(t))
        idx, x, tx, T = self._pred_data(data)
        w = weights_of(self.data_ if data is None else data, self.name)

        def f(th, _, sl):  # the correction needs every row, whatever the slice
            return self._k_cond_btydplus(th, t, x, tx, T, w)[sl]

        if not interval:
            return pd.Series(f(self._theta, None, slice(None)), index=idx, name="expected_purchases")
        return interval_frame(*self._delta_interval(f, len(x)), idx, "expected_purchases")

    def _k_discounted(self, theta, steps, disc, x, tx, T):
        (xu, txu, Tu), inv = unique_rows(x, tx, T)
        prev = 0.0
        total = np.zeros(len(xu))
        for i, t in enumerate(steps):
            cur = self._k_cond(theta, t, xu, txu, Tu)
            total += (cur - prev) * disc[i]
            prev = cur
        return total[inv]

    def _at_least(self, theta, j, t):
        """P(X(t) >= j) for a new customer, j >= 1 (array)."""
        r, alpha = theta[:2]
        q = t / (alpha + t)
        return betainc(self.k_ * j, r, q) * np.exp(self._dropout(theta, j - 1 + self._shift))

    def _k_expected(self, theta, t):
        r, alpha = theta[:2]
        t = np.asarray(t, float)
        flat = np.atleast_1d(t).ravel()
        out = np.zeros(len(flat))
        for n_, tv in enumerate(flat):
            if tv <= 0:
                continue
            mu = r * tv / alpha
            sd = np.sqrt(mu * (1 + tv / alpha))
            J = int(np.ceil((mu + _TAIL_SD * sd + _geometric_tail(tv / (alpha + tv)) + 30) / self.k_))
            out[n_] = self._at_least(theta, np.arange(1, J + 1, dtype=float), tv).sum()
        return out.reshape(t.shape) if t.ndim else float(out[0])

    def _k_pmf(self, theta, n, t):
        n = np.asarray(n, float)
        ge = np.where(n >= 1, self._at_least(theta, np.maximum(n, 1), t), 1.0)
        return ge - self._at_least(theta, n + 1, t)


class ModifiedBetaGeoCNBDk(BetaGeoCNBDk):
    """MBG/CNBD-k: MBG/NBD with Erlang-k inter-purchase times (a customer may also drop out
    right after the first purchase). Parameters ``k, r, alpha, a, b``."""

    name = "MBG/CNBD-k"
    key = "mbgcnbdk"
    _shift = 1
