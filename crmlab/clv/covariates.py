"""Time-invariant covariates in Pareto/NBD and BG/NBD, by maximum likelihood.

``clv.fit("paretonbd", s, covariates={"purchase": ["c1"], "dropout": ["c2"]})`` (a plain list
means the same columns for both processes; the same for ``"bgnbd"``). The columns are numeric
columns of the summary, one value per customer: add them to the summary frame (it is an
ordinary DataFrame indexed by customer), e.g. ``s = s.join(customers[["channel"]])``.

Parametrisation, z_i a customer's covariates:

- Pareto/NBD: α_i = α₀·exp(−γ_purchaseᵀz_i) and β_i = β₀·exp(−γ_dropoutᵀz_i), as in Fader &
  Hardie's note on time-invariant covariates (2007, note 019) and in CLVTools. The mean
  purchase rate r/α_i and the mean dropout rate s/β_i are multiplied by exp(γᵀz_i).
- BG/NBD: α_i as above; the dropout covariates act on a and b in opposite directions,
  a_i = a₀·exp(γ_dropoutᵀz_i / 2) and b_i = b₀·exp(−γ_dropoutᵀz_i / 2), so the odds a_i/b_i of
  the mean dropout probability a/(a+b) are multiplied by exp(γ_dropoutᵀz_i), while a_i·b_i
  stays fixed. This is crmlab's own form, not a copy of either source. Fader & Hardie (2007)
  give a and b separate coefficients, a_i = a₀·exp(γ_aᵀz_i) and b_i = b₀·exp(γ_bᵀz_i), so the
  effect on the mean dropout probability is γ_a − γ_b, spread over two coefficients; crmlab's
  form is their special case γ_a = −γ_b = γ_dropout/2. CLVTools (``bgnbd`` with static
  covariates) uses one coefficient with the same sign for both, a_i = a₀·exp(γ_lifeᵀz_i) and
  b_i = b₀·exp(γ_lifeᵀz_i) (its documentation: "we constrain ... g2=g3"): that scales a and b
  together, which changes how concentrated the dropout probabilities are around their mean but
  leaves the mean a/(a+b) unchanged. Issue #14 asks that a positive dropout coefficient mean
  faster dropout, which CLVTools' form cannot express; crmlab keeps its single coefficient per
  covariate and gives it the reading the Pareto/NBD coefficient has. Coefficients from CLVTools'
  BG/NBD are therefore not comparable with crmlab's.

So in both models **a positive coefficient means more purchasing, or faster dropout**. The
coefficients are ``params_["purchase:<col>"]`` and ``params_["dropout:<col>"]``, with standard
errors and 95% intervals (estimate ± 1.96 se) in ``summary()``; α₀, β₀ (a₀, b₀) are the
parameters of a customer whose covariates are all zero, so with all covariates zero the model is
the plain one. Predictions (``p_alive``, ``conditional_expected_purchases``, ``clv``,
``expected_purchases(t, data)``) use each customer's own covariates.

The fit starts from the plain model and runs on centred and scaled covariates (the estimates are
mapped back to the columns as given). Boundary solutions (a, b → ∞ or s, β → ∞) are not
re-parametrised as in the plain models: a fit at the box edge is reported in ``convergence_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from .base import LOG_BOUND, Z95, Convergence, _EDGE, check_frt, numeric, unique_rows, weights_of
from .bgnbd import BetaGeo, prepare_frt
from .paretonbd import ParetoNBD

PROCESSES = ("purchase", "dropout")


def parse_covariates(spec, model: str) -> dict[str, list[str]]:
    """``{"purchase": [...], "dropout": [...]}`` from a dict or a plain list (both processes)."""
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, (list, tuple, pd.Index)):
        cols = [str(c) for c in spec]
        out = {"purchase": cols, "dropout": list(cols)}
    elif isinstance(spec, dict):
        bad = [k for k in spec if k not in PROCESSES]
        if bad:
            raise ParameterError(f"{model}: covariates keys {bad} are unknown; use 'purchase' and/or "
                                 "'dropout', e.g. covariates={'purchase': ['log_first_amount']}.")
        out = {p: [str(c) for c in ([spec[p]] if isinstance(spec.get(p), str) else spec.get(p, []) or [])]
               for p in PROCESSES}
    else:
        raise ParameterError(f"{model}: covariates must be a list of column names or a dict "
                             f"{{'purchase': [...], 'dropout': [...]}}; got {type(spec).__name__}.")
    for p, cols in out.items():
        if len(set(cols)) != len(cols):
            raise ParameterError(f"{model}: covariates[{p!r}] names a column twice: {cols}.")
    if not out["purchase"] and not out["dropout"]:
        raise ParameterError(f"{model}: covariates names no column; leave covariates out for the "
                             "plain model.")
    return out


def covariate_matrix(data: pd.DataFrame, cols, model: str, process: str) -> np.ndarray:
    """The (n, p) float matrix of covariate columns, or a DataError saying what is wrong."""
    n = len(data)
    if not cols:
        return np.zeros((n, 0))
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(f"{model}: the summary has no covariate column(s) {missing} "
                        f"(covariates[{process!r}]); join them to the summary first, e.g. "
                        "summary.join(customers[[...]]), one row per customer.")
    Z = np.empty((n, len(cols)))
    for j, c in enumerate(cols):
        col = data[c]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise DataError(f"{model}: covariate column {c!r} is not numeric (dtype {col.dtype}); "
                            "encode it as numbers, e.g. pandas.get_dummies(..., drop_first=True) "
                            "for a category.")
        v = col.to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            raise DataError(f"{model}: covariate column {c!r} has {int(bad.sum())} missing or infinite "
                            "value(s); every customer needs a value (fill or drop those customers).")
        Z[:, j] = v
    return Z


def _check_design(Z, w, cols, model, process):
    """Centre/scale of each column; DataError for a constant or collinear covariate."""
    if Z.shape[1] == 0:
        return np.zeros(0), np.ones(0)
    use = w > 0
    mean = np.average(Z[use], axis=0, weights=w[use])
    sd = np.sqrt(np.average((Z[use] - mean) ** 2, axis=0, weights=w[use]))
    for j, c in enumerate(cols):
        if not sd[j] > 1e-12 * max(1.0, abs(mean[j])):
            raise DataError(f"{model}: covariate column {c!r} ({process}) is constant ({mean[j]:g} for "
                            "every customer), so its effect cannot be told apart from the baseline; "
                            "drop it from covariates=.")
    Zs = (Z[use] - mean) / sd
    sv = np.linalg.svd(Zs * np.sqrt(w[use] / w[use].sum())[:, None], compute_uv=False)
    if sv.min() < 1e-8 * sv.max():
        raise DataError(f"{model}: the {process} covariates {cols} are collinear (one is a linear "
                        "combination of the others), so their coefficients are not identified; "
                        "drop one of them from covariates=.")
    return mean, sd


class _Covariates:
    """Mixin turning a 4-parameter Pareto/NBD or BG/NBD into its covariate version.

    Internally the coefficients γ are carried as θ = exp(γ), so the log-parameter machinery of
    :class:`crmlab.clv.base.Model` (bounds, Hessian, delta method) applies unchanged: the log
    of such an entry is γ itself.
    """

    #: parameter index -> multiplier of γ_dropoutᵀz in the log of that parameter
    _dropout_on: dict[int, float] = {}
    _plain: type = object

    def __init__(self, *, covariates, **options):
        super().__init__(**options)
        self.covariates = covariates

    # -- data -----------------------------------------------------------------------------------
    def _prepare(self, data):
        spec = parse_covariates(self.covariates, self.name)
        prepare_frt(data, self.name)  # the usual checks (columns, values, a repeat purchase)
        x = numeric(data, "frequency", self.name)
        tx = numeric(data, "recency", self.name)
        T = numeric(data, "T", self.name)
        check_frt(x, tx, T, self.name)
        w = weights_of(data, self.name)
        Zp = covariate_matrix(data, spec["purchase"], self.name, "purchase")
        Zd = covariate_matrix(data, spec["dropout"], self.name, "dropout")
        self._spec = spec
        self._centre = (_check_design(Zp, w, spec["purchase"], self.name, "purchase"),
                        _check_design(Zd, w, spec["dropout"], self.name, "dropout"))
        self.param_names = (*self._plain.param_names, *(f"purchase:{c}" for c in spec["purchase"]),
                            *(f"dropout:{c}" for c in spec["dropout"]))
        # distinct (x, t_x, T, z) rows with summed weights
        cols, inv = unique_rows(x, tx, T, *Zp.T, *Zd.T)
        wu = np.bincount(inv, weights=w, minlength=len(cols[0]))
        keep = wu > 0
        np_ = Zp.shape[1]
        Zu = np.column_stack(cols[3:]) if len(cols) > 3 else np.zeros((len(cols[0]), 0))
        return {"x": cols[0][keep], "tx": cols[1][keep], "T": cols[2][keep], "w": wu[keep],
                "Zp": Zu[keep, :np_], "Zd": Zu[keep, np_:], "rows": (x, tx, T, Zp, Zd)}

    def _theta_of(self, theta, Zp, Zd):
        """The four model parameters per row: scalars, or arrays where covariates act."""
        np_ = Zp.shape[1]
        g = np.log(np.asarray(theta[4:], float))
        rows = list(theta[:4])
        if np_:
            rows[1] = theta[1] * np.exp(-(Zp @ g[:np_]))
        if Zd.shape[1]:
            ld = Zd @ g[np_:]
            for i, mult in self._dropout_on.items():
                rows[i] = theta[i] * np.exp(mult * ld)
        return rows

    def _loglik(self, theta, d, grad=True):
        rows = self._theta_of(theta, d["Zp"], d["Zd"])
        ll, g = super()._loglik(rows, d, grad)
        if not grad:
            return ll, None
        np_ = d["Zp"].shape[1]
        out = np.empty((len(ll), len(theta)))
        out[:, :4] = g
        out[:, 4:4 + np_] = -d["Zp"] * g[:, [1]]
        if d["Zd"].shape[1]:
            out[:, 4 + np_:] = d["Zd"] * sum(mult * g[:, [i]] for i, mult in self._dropout_on.items())
        return ll, out

    # -- fitting --------------------------------------------------------------------------------
    def _fit(self, data):
        if self.penalizer:
            raise ParameterError(f"{self.name}: penalizer= is not available with covariates; fit "
                                 "with penalizer=0.")
        self._hess_cache = None
        self.time_unit_ = self._unit_of(data)
        d_raw = self._prepare(data)
        self.data_ = data
        self.n_customers_ = float(d_raw["w"].sum())
        (mp, sp), (md, sd) = self._centre
        d_std = dict(d_raw, Zp=(d_raw["Zp"] - mp) / sp, Zd=(d_raw["Zd"] - md) / sd)
        # the nested model (no covariates) on the same customers: start and likelihood gain
        x, tx, T, _, _ = d_raw["rows"]
        frame = pd.DataFrame({"frequency": x, "recency": tx, "T": T,
                              "weights": weights_of(data, self.name)})
        frame.attrs["time_unit"] = self.time_unit_
        plain = self._plain(n_starts=self.n_starts, seed=self.seed, tol=self.tol, gtol=self.gtol,
                            maxiter=self.maxiter).fit(frame)
        self.nested_ = plain
        th0 = np.asarray(plain._theta, float)
        if len(th0) < 4:  # BG/NBD at a, b -> inf: start far out on the ridge with p = a/(a+b)
            p = th0[2] if len(th0) == 3 else 1e-3
            th0 = np.r_[th0[:2], p * 1e3, (1 - p) * 1e3]
        edge = np.exp(LOG_BOUND - 2 * _EDGE)
        start = np.r_[np.log(np.clip(th0, 1 / edge, edge)), np.zeros(len(self.param_names) - 4)]
        self._d = d_std
        res, its = self._optimise(d_std, [start])
        # back to the covariates as given: γ_raw = γ_std / sd, and the baseline parameter absorbs
        # the centring, log θ₀ += (sign) γ_std · mean / sd
        xs = res.x.copy()
        np_ = len(mp)
        gp, gd = xs[4:4 + np_], xs[4 + np_:]
        xr = xs.copy()
        xr[1] += np.sum(gp * mp / sp)
        for i, mult in self._dropout_on.items():
            xr[i] -= mult * np.sum(gd * md / sd)
        xr[4:4 + np_] = gp / sp
        xr[4 + np_:] = gd / sd
        at = np.abs(np.abs(xs) - LOG_BOUND) < _EDGE
        boundary = None
        if at.any():
            boundary = ", ".join(f"{n} → {'∞' if xs[i] > 0 else '0'}"
                                 for i, n in enumerate(self.param_names) if at[i])
        self.convergence_ = Convergence(bool(res.success), str(res.message), 1, int(its), boundary)
        self._d = d_raw
        self._set_params(np.exp(xr), d_raw)
        self.dropout_p_ = self.dropout_rate_ = None
        self.likelihood_gain_ = self.log_likelihood_ - plain.log_likelihood_
        self._publish()
        return self

    def _publish(self):
        """Public estimates: coefficients on their own scale (γ, se, γ ± 1.96 se)."""
        names = list(self.param_names)
        k = len(names)
        est = self._theta.copy()
        est[4:] = np.log(self._theta[4:])
        se = self.standard_errors_.to_numpy().copy()
        se_log = np.sqrt(np.diag(self.covariance_log_.to_numpy()))
        se[4:] = se_log[4:]
        lo = self.confidence_intervals_["lower 95%"].to_numpy().copy()
        hi = self.confidence_intervals_["upper 95%"].to_numpy().copy()
        lo[4:] = est[4:] - Z95 * se[4:]
        hi[4:] = est[4:] + Z95 * se[4:]
        self.params_ = pd.Series(est[:k], index=names, name="estimate")
        self.standard_errors_ = pd.Series(se, index=names, name="se")
        self.confidence_intervals_ = pd.DataFrame({"lower 95%": lo, "upper 95%": hi}, index=names)
        self.coefficients_ = self.params_.iloc[4:]

    # -- predictions ----------------------------------------------------------------------------
    def _pred_data(self, data):
        if data is None:
            self._check_fitted()
            x, tx, T, Zp, Zd = self._d["rows"]
            self._pred_Z = (Zp, Zd)
            return self.data_.index, x, tx, T
        idx, x, tx, T = super()._pred_data(data)
        if True:
            Zp = covariate_matrix(data, self._spec["purchase"], self.name, "purchase")
            Zd = covariate_matrix(data, self._spec["dropout"], self.name, "dropout")
        self._pred_Z = (Zp, Zd)
        return idx, x, tx, T

    def _theta_rows(self, theta, sl):
        Zp, Zd = self._pred_Z
        return self._theta_of(theta, Zp[sl], Zd[sl])

    def _k_cond(self, theta, t, x, tx, T):
        return self._k_rate(theta, t, x, T) * self._k_p_alive(theta, x, tx, T)

    def _k_discounted(self, theta, steps, disc, x, tx, T):
        prev = 0.0
        total = np.zeros(len(x))
        for i, t in enumerate(steps):
            cur = self._k_rate(theta, t, x, T)
            total += (cur - prev) * disc[i]
            prev = cur
        return total * self._k_p_alive(theta, x, tx, T)

    def expected_purchases(self, t, data=None):
        """E[X(t)] for a new customer: at covariates all zero (the baseline), or per customer of
        ``data`` with their own covariates."""
        self._check_fitted()
        t = float(self._check_t(t))
        if data is None:
            return self._k_expected(self._theta[:4], t)
        idx, *_ = self._pred_data(data)
        return pd.Series(self._k_expected(self._theta_rows(self._theta, slice(None)), t), index=idx,
                         name="expected_purchases")

    def _baseline(self):
        """A customer with all covariates zero: the plain model's four parameters."""
        return self._theta[:4]


class ParetoNBDCovariates(_Covariates, ParetoNBD):
    """Pareto/NBD with time-invariant covariates: α_i = α₀·exp(−γ_purchaseᵀz_i),
    β_i = β₀·exp(−γ_dropoutᵀz_i) (see :mod:`crmlab.clv.covariates`)."""

    _dropout_on = {3: -1.0}
    _plain = ParetoNBD


class BetaGeoCovariates(_Covariates, BetaGeo):
    """BG/NBD with time-invariant covariates: α_i = α₀·exp(−γ_purchaseᵀz_i), a_i = a₀·exp(γ_dropoutᵀz_i/2),
    b_i = b₀·exp(−γ_dropoutᵀz_i/2) (see :mod:`crmlab.clv.covariates`)."""

    _dropout_on = {2: 0.5, 3: -0.5}
    _plain = BetaGeo
