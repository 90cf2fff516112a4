"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987) by maximum likelihood.

The likelihood (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model") is::

    L = Γ(r+x) α^r / Γ(r) · [ β^s (α+T)^-(r+x) (β+T)^-s  +  s β^s J ],
    J = ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ

``s·J/β^-s`` is the hypergeometric term ``s/(r+s+x) · A0`` of the paper. Instead of the two
2F1 values whose difference cancels badly, J is integrated directly in log space after the
substitution τ = (m+t_x)e^φ − m (m = min(α, β)): Gauss–Legendre on [0, Φ] when the integrand
decays slowly, Gauss–Laguerre on the exponential weight e^{−(r+s+x)φ} when it decays fast. The
integrand is smooth in φ, so 32 nodes give ~1e-12 relative accuracy, and the exact gradient is
the same quadrature applied to ∂ log h/∂θ.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, roots_laguerre, roots_legendre

from .. import i18n
from .base import LOG_BOUND, Model, by_x
from .bgnbd import mean_x_T, prepare_frt
from .predict import ContinuousPredictions

i18n.register({
    "clv.pnbd_const_rate": {
        "zh": "s, β → ∞：所有客户的流失率相同，μ = s/β = {mu:.4g}（每期）",
        "en": "s, β → ∞: the same dropout rate μ = s/β = {mu:.4g} per period for every customer",
    },
    "clv.pnbd_no_dropout": {"zh": "未检测到流失：s → 0", "en": "no dropout detected: s → 0"},
})

_K = 20  # ~1e-12 against the 2F1 form even at extreme parameters (16: ~1e-9, 12: ~1e-6)
_GL_U, _GL_W = roots_legendre(_K)
_GL_U, _GL_W = (_GL_U + 1) / 2, _GL_W / 2  # on [0, 1]
_LG_X, _LG_W = roots_laguerre(_K)
_LOG_GL_W, _LOG_LG_W = np.log(_GL_W), np.log(_LG_W)
_SWITCH = 40.0  # (r+s+x)·Φ above which Laguerre is used; the truncation error is < e^-40


def _log_J(theta, x, tx, T, grad):
    """log(β^s J) per row and, if ``grad``, its gradient w.r.t. (r, α, s, β).

    In φ = ln((m+τ)/(m+t_x)), m = min(α, β), the integrand is e^{−κφ}·g(φ) with κ its decay
    rate at φ = 0 and g smooth, decreasing and <= 1. Gauss–Legendre on [0, Φ] when κΦ < 40, else
    Gauss–Laguerre on the weight e^{−κφ} (the part beyond Φ is below e^{−40} of the total).
    ln(m+τ) = ln(m+t_x) + φ is exact, so each node costs one exp and one log.
    """
    r, alpha, s, beta = theta
    a_is_min = bool(np.all(alpha <= beta))  # per-row α, β (covariates) come split by the order
    m, M = (alpha, beta) if a_is_min else (beta, alpha)
    km, ko = (r + x, s + 1.0) if a_is_min else (s + 1.0, r + x)
    lbase = np.log(m + tx)
    Phi = np.log(m + T) - lbase
    empty = Phi <= 0  # t_x = T: the integral is 0
    Phi_safe = np.where(empty, 1.0, Phi)[:, None]
    phi = Phi_safe * _GL_U
    logw = _LOG_GL_W + np.log(Phi_safe)
    kappa = km + ko * (m + tx) / (M + tx)
    lag = kappa * Phi >= _SWITCH
    if lag.any():  # fast decay: Gauss-Laguerre on e^{-κφ} (rare rows, patched in place)
        kl = kappa[lag][:, None]
        phi[lag] = _LG_X / kl
        logw[lag] = (_LOG_LG_W + _LG_X) - np.log(kl)
    lmin = phi + lbase[:, None]  # ln(m + τ), exact
    ep = np.exp(lmin)  # m + τ
    lmax = np.log(ep + np.reshape(M - m, (-1, 1)))  # ln(M + τ)
    X = x[:, None]
    # log integrand = ln w + ln(m+τ) [dτ/dφ] − (r+x) ln(α+τ) + s ln β − (s+1) ln(β+τ)
    slb = np.reshape(s * np.log(beta), (-1, 1))
    if a_is_min:
        terms = logw + (1.0 - r - X) * lmin - (s + 1.0) * lmax + slb
    else:
        terms = logw - s * lmin - (r + X) * lmax + slb
    if empty.any():
        terms[empty] = -np.inf
    mx = np.max(terms, axis=1)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    e = np.exp(terms - mx[:, None])
    tot = e.sum(axis=1)
    with np.errstate(divide="ignore"):
        lj = np.log(tot) + mx
    if not grad:
        return lj, None
    e /= np.where(tot > 0, tot, 1.0)[:, None]  # node shares p_k
    la, lb = (lmin, lmax) if a_is_min else (lmax, lmin)  # ln(α+τ), ln(β+τ)
    g = np.empty((len(x), 4))
    sa = np.einsum("ij,ij->i", e, la)
    sb = np.einsum("ij,ij->i", e, lb)
    g[:, 0] = -sa
    g[:, 1] = -(r + x) * np.einsum("ij,ij->i", e, np.exp(-la))
    # ∂/∂s of s ln β − s ln(β+τ) = −ln(1+τ/β) = ln β − ln(β+τ)
    g[:, 2] = np.log(beta) - sb
    # ∂/∂β of s ln β − (s+1) ln(β+τ) = s/β − (s+1)/(β+τ)
    g[:, 3] = s / beta - (s + 1.0) * np.einsum("ij,ij->i", e, np.exp(-lb))
    return lj, g


def _log_J_rows(theta, x, tx, T, grad):
    """:func:`_log_J` for scalar or per-row α, β: rows are split by which of α, β is smaller."""
    r, alpha, s, beta = theta
    if np.ndim(alpha) == 0 and np.ndim(beta) == 0:
        return _log_J(theta, x, tx, T, grad)
    alpha = np.broadcast_to(alpha, x.shape)
    beta = np.broadcast_to(beta, x.shape)
    lj = np.empty(len(x))
    g = np.empty((len(x), 4)) if grad else None
    low = alpha <= beta
    for part in (low, ~low):
        if part.any():
            lp, gp = _log_J((r, alpha[part], s, beta[part]), x[part], tx[part], T[part], grad)
            lj[part] = lp
            if grad:
                g[part] = gp
    return lj, g


class ParetoNBD(ContinuousPredictions, Model):
    """Pareto/NBD model: Poisson purchasing while alive, exponential lifetime.

    Parameters ``r, alpha`` (gamma purchase rates) and ``s, beta`` (gamma dropout rates). A fit
    whose dropout parameters run to the box edge (s, β → ∞ with s/β fixed: the same dropout rate
    for everyone) is reported as a boundary solution in ``convergence_`` and ``note_``; its
    predictions stay exact because every term is computed in a form that is stable for huge β.
    """

    name = "Pareto/NBD"
    key = "paretonbd"
    param_names = ("r", "alpha", "s", "beta")

    def _prepare(self, data):
        return prepare_frt(data, self.name)

    def _starts(self, d):
        mx, mT = mean_x_T(d)
        return [np.log([0.5, 0.5 * mT / mx, 0.5, mT]), np.log([1.0, mT / mx, 1.0, 2 * mT]),
                np.zeros(4)]

    def _loglik(self, theta, d, grad=True):
        r, alpha, s, beta = theta
        x, tx, T = d["x"], d["tx"], d["T"]
        A1 = by_x(d, x, lambda v: gammaln(r + v)) - gammaln(r) + r * np.log(alpha)
        AT = -(r + x) * np.log(alpha + T) - s * np.log1p(T / beta)
        lj, gj = _log_J_rows(theta, x, tx, T, grad)
        AJ = np.log(s) + lj
        L = np.logaddexp(AT, AJ)
        ll = A1 + L
        if not grad:
            return ll, None
        pT = np.exp(AT - L)
        pJ = 1 - pT
        g = np.empty((len(x), 4))
        g[:, 0] = r * (by_x(d, x, lambda v: digamma(r + v)) - digamma(r) + np.log(alpha) - pT * np.log(alpha + T) + pJ * gj[:, 0])
        g[:, 1] = r - alpha * (r + x) * pT / (alpha + T) + alpha * pJ * gj[:, 1]
        g[:, 2] = s * (-pT * np.log1p(T / beta) + pJ * (1 / s + gj[:, 2]))
        g[:, 3] = pT * s * T / (beta + T) + pJ * beta * gj[:, 3]
        return ll, g

    def _after_given(self):
        self.dropout_rate_ = None

    def _fit(self, data):
        super()._fit(data)
        r, alpha, s, beta = self._theta
        d = self._d
        if not self.convergence_.boundary and beta > 100 * d["T"].max():
            # on the s, β ridge (fixed s/β) the likelihood is flat and rises towards infinity
            # when the dropout rate is the same for everyone; the optimiser may stop short
            c = np.exp(LOG_BOUND) / max(s, beta)
            edge = np.array([r, alpha, s * c, beta * c])
            ll_edge = float(d["w"] @ self._loglik(edge, d, grad=False)[0])
            if ll_edge >= self.log_likelihood_ - 1e-9 * abs(self.log_likelihood_):
                self.convergence_.boundary = "s, beta → ∞"
                self._set_params(edge, d)
        b = self.convergence_.boundary or ""
        r, alpha, s, beta = self._theta
        if "beta → ∞" in b and s > 1:
            self.dropout_rate_ = s / beta
            self.note_ = self._note("clv.pnbd_const_rate", mu=s / beta)
        elif "s → 0" in b:
            self.dropout_rate_ = 0.0
            self.note_ = self._note("clv.pnbd_no_dropout")
        else:
            self.dropout_rate_ = None
        return self

    # -- prediction kernels -------------------------------------------------------------------
    def _k_p_alive(self, theta, x, tx, T):
        r, alpha, s, beta = theta
        AT = -(r + x) * np.log(alpha + T) - s * np.log1p(T / beta)
        lj, _ = _log_J_rows(theta, x, tx, T, False)
        return np.exp(AT - np.logaddexp(AT, np.log(s) + lj))

    def _k_rate(self, theta, t, x, T):
        """E[X(t) | x, t_x, T] / P(alive): depends on x and T only."""
        r, alpha, s, beta = theta
        return (r + x) / (alpha + T) * (beta + T) * _pow_int(s, np.log1p(t / (beta + T)))

    def _k_expected(self, theta, t):
        r, alpha, s, beta = theta
        return r / alpha * beta * _pow_int(s, np.log1p(np.asarray(t, float) / beta))

    def _k_pmf(self, theta, n, t):
        """P(X(t)=n) = S(t)·NB(n; t) + ∫_0^t f(τ) NB(n; τ) dτ, the integral by Gauss–Legendre in
        φ = ln(1 + τ/β), where the dropout density becomes s e^{−sφ}."""
        r, alpha, s, beta = theta
        n = np.atleast_1d(np.asarray(n, float))

        def log_nb(tau):
            tau = np.asarray(tau, float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = (gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * np.log(alpha / (alpha + tau))
                       + n * np.log(tau / (alpha + tau)))
            return np.where((n == 0) & (tau == 0), 0.0, np.where(tau == 0, -np.inf, out))

        Phi = np.log1p(t / beta)
        u, w = roots_legendre(64)
        phi = Phi * (u + 1) / 2
        taus = beta * np.expm1(phi)
        dens = s * np.exp(-s * phi) * w * Phi / 2
        integral = sum(dk * np.exp(log_nb(tk)) for tk, dk in zip(taus, dens))
        return np.exp(-s * Phi + log_nb(t)) + integral


def _pow_int(s, L):
    """(1 − e^{−(s−1)L}) / (s−1), continuous at s = 1 (where it equals L)."""
    c = s - 1
    if abs(c) < 1e-10:
        return L
    return -np.expm1(-c * L) / c
