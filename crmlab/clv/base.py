"""Maximum-likelihood machinery shared by every CLV model.

Each model supplies a per-row log-likelihood with its exact gradient with respect to the *log*
parameters; this module does the rest: input checks, weights (from :func:`crmlab.compress`),
multi-start L-BFGS-B on log parameters, the optional L2 penalty of lifetimes, standard errors
from the observed information, boundary detection, ``summary()`` and delta-method intervals
computed in chunks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from .. import i18n
from ..errors import DataError, ModelError, ParameterError
from ..checks import finite_column
from ..units import rate_per_period, time_unit_of

i18n.register(
    {
        "clv.estimate": {"zh": "估计值", "en": "estimate"},
        "clv.se": {"zh": "标准误", "en": "std. error"},
        "clv.lower": {"zh": "95%下限", "en": "lower 95%"},
        "clv.upper": {"zh": "95%上限", "en": "upper 95%"},
        "clv.note": {"zh": "说明", "en": "note"},
        "clv.at_bound": {"zh": "参数位于边界", "en": "parameter at its bound"},
        "clv.no_dropout": {
            "zh": "未检测到流失：a, b → ∞（a/(a+b) → 0），模型退化为 NBD",
            "en": "no dropout detected: a, b → ∞ (a/(a+b) → 0), the model reduces to the NBD",
        },
        "clv.const_dropout": {
            "zh": "a, b → ∞：所有客户的流失概率相同，p = {p:.4g}",
            "en": "a, b → ∞: the same dropout probability p = {p:.4g} for every customer",
        },
    }
)

#: Log-parameter box: about 3e-7 .. 3e6. A parameter that ends within ``_EDGE`` of it is a
#: boundary solution (the likelihood keeps rising as the parameter diverges).
LOG_BOUND = 15.0
_EXPLORE_ITERS = 12  # L-BFGS-B iterations per start before the best start is polished
_EDGE = 1.0
Z95 = 1.959963984540054


def _one_blas_thread():
    """L-BFGS-B makes many tiny BLAS calls; a multi-threaded OpenBLAS spends most of the fit
    waking its threads (5x slower on a 2-core machine), so the optimiser runs single-threaded.
    threadpoolctl comes with scikit-learn; without it this is a no-op."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        from contextlib import nullcontext

        return nullcontext()
    return threadpool_limits(1, user_api="blas")


@dataclass
class Convergence:
    """What the optimiser did: best run, number of starts, and whether it is a boundary fit."""

    success: bool
    message: str
    n_starts: int
    n_iterations: int
    boundary: str | None = None

    def __str__(self) -> str:
        b = f", boundary: {self.boundary}" if self.boundary else ""
        return f"{'converged' if self.success else 'NOT converged'} ({self.message}; {self.n_starts} starts{b})"


def check_columns(data: pd.DataFrame, columns, model: str) -> None:
    """Raise ModelError naming the missing columns of a summary frame."""
    if not isinstance(data, pd.DataFrame):
        raise ModelError(
            f"{model} needs a summary DataFrame (from crmlab.summarise or crmlab.compress); "
            f"got {type(data).__name__}."
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ModelError(
            f"{model}: the summary lacks column(s) {missing}; build it with crmlab.summarise(...) "
            f"or rename your columns to {list(columns)}."
        )
    if len(data) == 0:
        raise ModelError(f"{model}: the summary is empty (0 customers); there is nothing to fit.")


def require_monetary(data, who: str) -> None:
    """DataError when a spend model meets a summary without ``monetary_value`` (a data problem:
    the log had no amount column), as :func:`crmlab.rfm.score` does."""
    if isinstance(data, pd.DataFrame) and "monetary_value" not in data.columns:
        raise DataError(
            f"{who}: the summary has no 'monetary_value' column (columns: {list(data.columns)[:8]}), "
            "so spend cannot be modelled. Build it from a log with an amount column: "
            "crmlab.summarise(tx, ...) after crmlab.load(..., amount='your_column') (command line: "
            "--amount your_column), or pass a spend per purchase as a number.")


def numeric(data: pd.DataFrame, col: str, model: str) -> np.ndarray:
    """A column as float64, raising ModelError on non-numeric or missing values."""
    return finite_column(data, col, who=model, error=ModelError)


def weights_of(data: pd.DataFrame, model: str) -> np.ndarray:
    """The ``weights`` column (from crmlab.compress) if present, else ones."""
    if "weights" not in data.columns:
        return np.ones(len(data))
    w = numeric(data, "weights", model)
    if (w < 0).any():
        raise ModelError(f"{model}: column 'weights' has negative values; weights count customers.")
    return w


def check_frt(x, tx, T, model: str) -> None:
    """Frequency/recency/T consistency checks shared by the continuous-time models."""
    if (x < 0).any():
        raise ModelError(f"{model}: column 'frequency' has negative values (repeat purchases >= 0).")
    if (tx < 0).any() or (T < 0).any():
        raise ModelError(f"{model}: columns 'recency' and 'T' must be >= 0.")
    bad = tx > T * (1 + 1e-9) + 1e-12
    if bad.any():
        raise ModelError(
            f"{model}: recency is greater than T for {int(bad.sum())} customer(s); recency is the "
            "age at the last purchase and cannot exceed the age T. Rebuild the summary."
        )
    bad = (x == 0) & (tx > 0)
    if bad.any():
        raise ModelError(
            f"{model}: {int(bad.sum())} customer(s) have frequency 0 but recency > 0; with no "
            "repeat purchase recency must be 0 (lifetimes' definition)."
        )


def unique_rows(*cols):
    """Unique rows of equal-length 1-d arrays: ``(list of unique columns, inverse index)``.

    Hash-factorises each column and combines the codes (re-factorised after each step, so the
    integer key never overflows); several times faster than ``np.unique(axis=0)`` or a lexsort
    on a million rows.
    """
    n = len(cols[0])
    if n == 0:
        return [c[:0] for c in cols], np.zeros(0, dtype=np.intp)
    key = np.zeros(n, dtype=np.int64)
    for c in cols:
        codes, uniq = pd.factorize(c)
        key, _ = pd.factorize(key * len(uniq) + codes)
    n_groups = int(key.max()) + 1
    first = np.empty(n_groups, dtype=np.intp)
    first[key[::-1]] = np.arange(n - 1, -1, -1)
    return [c[first] for c in cols], key.astype(np.intp)


def frt_data(x, tx, T, w):
    """Likelihood data for frequency/recency/T models: the unique patterns with summed weights
    (what :func:`crmlab.compress` does), plus the full arrays for predictions."""
    (xu, txu, Tu), inv = unique_rows(x, tx, T)
    wu = np.bincount(inv, weights=w, minlength=len(xu))
    keep = wu > 0
    xk = xu[keep]
    # terms that depend on x alone (log-gamma, digamma) are computed once per distinct x
    xs, xinv = np.unique(xk, return_inverse=True)
    return {"x": xk, "tx": txu[keep], "T": Tu[keep], "w": wu[keep], "full": (x, tx, T),
            "xs": xs, "xinv": xinv}


_SUBSAMPLE_ROWS = 10_000


def _subsample(d, rng, n_customers: int = 5_000):
    """A multinomial subsample of ``n_customers`` customers from frequency/recency/T patterns
    (None when the data are already small or not of that kind)."""
    if "full" not in d or len(d["x"]) <= _SUBSAMPLE_ROWS:
        return None
    p = d["w"] / d["w"].sum()
    counts = rng.multinomial(n_customers, p).astype(float)
    keep = counts > 0
    x = d["x"][keep]
    xs, xinv = np.unique(x, return_inverse=True)
    return {"x": x, "tx": d["tx"][keep], "T": d["T"][keep], "w": counts[keep], "xs": xs, "xinv": xinv}


def by_x(d, x, fn):
    """``fn(x)`` evaluated once per distinct frequency when ``d`` carries the index."""
    if "xinv" in d and x is d["x"]:
        return fn(d["xs"])[d["xinv"]]
    return fn(x)


def discount_per_period(discount_rate, rate_unit, unit: str) -> float:
    """The discount rate per period of the summary's unit.

    ``rate_unit`` is required: the caller says whether ``discount_rate`` is per day, week, month
    or year ('D', 'W', 'M', 'Y'); it is converted exactly to the summary's unit, so a weekly
    summary is never discounted with a monthly rate by accident.
    """
    if rate_unit is None:
        raise ParameterError(
            "discount_rate needs rate_unit='D'|'W'|'M'|'Y' (the period the rate is quoted per); "
            f"the summary is in unit {unit!r}, and the rate is converted to it exactly."
        )
    rate = float(discount_rate)
    if not np.isfinite(rate) or rate <= -1:
        raise ParameterError(f"discount_rate={discount_rate!r} must be a finite number > -1.")
    return rate_per_period(rate, per=rate_unit, unit=unit)


class Model:
    """Base class: subclasses set ``name``, ``param_names`` and implement the likelihood."""

    name = "model"
    param_names: tuple[str, ...] = ()
    key = ""

    def __init__(self, *, penalizer: float = 0.0, n_starts: int = 3, seed: int = 0,
                 tol: float = 1e-10, gtol: float = 1e-8, maxiter: int = 2000):
        self.penalizer = penalizer
        self.gtol = gtol
        self.n_starts = n_starts
        self.seed = seed
        self.tol = tol
        self.maxiter = maxiter

    # -- subclass API -------------------------------------------------------------------------
    def _prepare(self, data: pd.DataFrame) -> dict:
        """Validate and return the arrays the likelihood needs (plus ``w``)."""
        raise NotImplementedError

    def _loglik(self, theta: np.ndarray, d: dict, grad: bool = True):
        """Per-row log-likelihood and (n, k) gradient w.r.t. log parameters."""
        raise NotImplementedError

    def _starts(self, d: dict) -> list[np.ndarray]:
        """Starting points in log-parameter space (the first is the most plausible)."""
        return [np.zeros(len(self.param_names))]

    # -- fitting ------------------------------------------------------------------------------
    def _objective(self, logp, d, wsum):
        theta = np.exp(logp)
        ll, g = self._loglik(theta, d)
        if not np.all(np.isfinite(ll)):
            return np.inf, np.zeros_like(logp)
        f = -(d["w"] @ ll) / wsum + self.penalizer * np.sum(theta**2)
        gr = -(d["w"] @ g) / wsum + self.penalizer * 2 * theta**2
        return f, gr

    def _optimise(self, d, starts, bounds=None):
        wsum = d["w"].sum()
        k = len(starts[0])
        bounds = bounds or [(-LOG_BOUND, LOG_BOUND)] * k
        best, its = None, 0
        with _one_blas_thread():
            best, its = self._run_starts(d, starts, bounds, wsum)
        if best is None:
            raise ModelError(f"{self.name}: the likelihood is not finite at any starting point.")
        return best, its

    def _run_starts(self, d, starts, bounds, wsum):
        """Every start runs a few iterations; the best one is then polished to convergence."""
        best, its = None, 0

        def run(x0, maxiter):
            x0 = np.clip(np.asarray(x0, float), -LOG_BOUND + 0.1, LOG_BOUND - 0.1)
            with np.errstate(all="ignore"):
                return optimize.minimize(
                    self._objective, x0, args=(d, wsum), jac=True, method="L-BFGS-B", bounds=bounds,
                    options={"maxiter": maxiter, "ftol": self.tol * 1e-2, "gtol": self.gtol},
                )

        explore = _EXPLORE_ITERS if len(starts) > 1 else self.maxiter
        for x0 in starts:
            res = run(x0, explore)
            its += res.nit
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                best = res
        if best is not None and len(starts) > 1:
            polished = run(best.x, self.maxiter)
            its += polished.nit
            if np.isfinite(polished.fun) and polished.fun <= best.fun:
                best = polished
        return best, its

    def fit(self, data: pd.DataFrame):
        """Fit the model by maximum likelihood and return ``self``.

        Parameters
        ----------
        data : DataFrame
            A summary from :func:`crmlab.summarise` (or :func:`crmlab.compress`, whose
            ``weights`` column is used). Its ``attrs["time_unit"]`` says in which unit recency
            and T are measured; predictions use the same unit.
        """
        if self.penalizer < 0:
            raise ParameterError(f"penalizer={self.penalizer!r} must be >= 0.")
        with _one_blas_thread():
            return self._fit(data)

    def _fit(self, data):
        self._hess_cache = None
        self.time_unit_ = self._unit_of(data)
        d = self._prepare(data)
        self.data_ = data
        self._d = d
        self.n_customers_ = float(d["w"].sum())
        rng = np.random.default_rng(self.seed)
        starts = self._starts(d)
        k = len(self.param_names)
        while len(starts) < max(1, self.n_starts):
            starts.append(starts[0] + rng.normal(0, 1.0, k))
        starts = starts[: max(1, self.n_starts)]
        sub = _subsample(d, rng)
        if sub is not None and (len(starts) > 1 or getattr(self, "_warm", None) is not None):
            # explore every start on a multinomial subsample of the customers, then polish the
            # best one on all the data: the full likelihood is evaluated ~3x less often
            res_sub, its0 = self._optimise(sub, starts)
            # the subsample's Hessian, scaled to all customers, starts the Newton polish
            H0 = self._hessian_log(np.exp(res_sub.x), sub, np.arange(len(res_sub.x)))
            res = self._newton(d, res_sub.x, H0=H0 * (d["w"].sum() / sub["w"].sum()))
            if res is None:  # not concave there, or left the box: quasi-Newton instead
                res, its = self._optimise(d, [res_sub.x])
            else:
                its = res.nit
            its += its0
        else:
            res, its = self._optimise(d, starts)
        boundary = None
        at = np.abs(np.abs(res.x) - LOG_BOUND) < _EDGE
        if at.any():
            boundary = ", ".join(f"{n} → {'∞' if res.x[i] > 0 else '0'}"
                                 for i, n in enumerate(self.param_names) if at[i])
        self.convergence_ = Convergence(bool(res.success), str(res.message), len(starts[: self.n_starts]),
                                        int(its), boundary)
        self._set_params(np.exp(res.x), d)
        return self

    def _unit_of(self, data):
        if isinstance(data, pd.DataFrame):
            if data.attrs.get("time_unit") is None:
                raise ModelError(
                    f"{self.name}: the summary carries no time unit (summary.attrs['time_unit']); "
                    "say in which unit recency and T are measured: clv.fit(model, summary, "
                    "time_unit='W') (or 'D'/'M'), or build the summary with "
                    "crmlab.summarise(..., time_unit='W').")
            return time_unit_of(data)
        raise ModelError(f"{self.name} needs a summary DataFrame; got {type(data).__name__}.")

    def _note(self, key: str, suffix: str = "", **fmt) -> str:
        """Remember a fit note by its i18n key, so it can be shown in either language."""
        self._note_spec = (key, suffix, fmt)
        return i18n.t(key, "en", **fmt) + suffix

    def note_in(self, lang: str = "en") -> str:
        """``note_`` (boundary or assumption notes of the fit) in ``lang``."""
        spec = getattr(self, "_note_spec", None)
        if spec is None:
            return getattr(self, "note_", "") or ""
        key, suffix, fmt = spec
        return i18n.t(key, lang, **fmt) + suffix

    def _set_params(self, theta, d, free=None, note=None):
        """Store params, log-likelihood, information criteria and standard errors."""
        self._theta = np.asarray(theta, float)
        self.params_ = pd.Series(self._theta, index=list(self.param_names), name="estimate")
        ll, _ = self._loglik(self._theta, d, grad=False)
        self.log_likelihood_ = float(d["w"] @ ll)
        free = np.isfinite(self._theta) if free is None else free
        self._free = free
        kfree = int(free.sum())
        n = self.n_customers_
        self.aic_ = -2 * self.log_likelihood_ + 2 * kfree
        self.bic_ = -2 * self.log_likelihood_ + np.log(n) * kfree
        if note is None:
            self._note_spec = None
            if self.convergence_.boundary:
                note = self._note("clv.at_bound", f": {self.convergence_.boundary}")
        self.note_ = note or ""
        cov = np.full((len(theta), len(theta)), np.nan)
        if kfree:
            idx = np.flatnonzero(free)
            cached = getattr(self, "_hess_cache", None)
            if cached is not None and len(cached[0]) == len(theta) and np.allclose(
                    np.log(cached[0]), np.log(self._theta), rtol=0, atol=5e-3) and len(idx) == len(theta):
                h = cached[1]  # from the Newton polish, within 5e-3 in log parameters (SEs to ~0.5%)
            else:
                h = self._hessian_log(self._theta, d, idx)
            try:
                cov_f = np.linalg.inv(-h)
                if np.all(np.diag(cov_f) > 0):
                    cov[np.ix_(idx, idx)] = cov_f
            except np.linalg.LinAlgError:
                pass
        self.covariance_log_ = pd.DataFrame(cov, index=self.param_names, columns=self.param_names)
        se_log = np.sqrt(np.diag(cov))
        self.standard_errors_ = pd.Series(self._theta * se_log, index=list(self.param_names),
                                          name="se")
        with np.errstate(all="ignore"):
            lo = np.exp(np.log(self._theta) - Z95 * se_log)
            hi = np.exp(np.log(self._theta) + Z95 * se_log)
        self.confidence_intervals_ = pd.DataFrame({"lower 95%": lo, "upper 95%": hi},
                                                  index=list(self.param_names))

    def _newton(self, d, x0, max_steps: int = 8, H0=None):
        """Newton polish from a point close to the maximum (the subsample optimum).

        Each step costs k + 1 exact-gradient evaluations (the Hessian by forward differences),
        converges quadratically, and leaves the Hessian for the standard errors. Returns None
        when the Hessian is not negative definite or a step would leave the box, so the caller
        falls back to L-BFGS-B.
        """
        from types import SimpleNamespace

        wsum = d["w"].sum()
        x = np.asarray(x0, float).copy()
        H, hx, prev = H0, None, np.inf  # hx: where H was computed exactly (None: approximate)
        with np.errstate(all="ignore"):
            for it in range(1, max_steps + 1):
                theta = np.exp(x)
                ll, g = self._loglik(theta, d)
                gt = d["w"] @ g - self.penalizer * 2 * theta**2 * wsum
                if H is None:
                    H = self._hessian_log(theta, d, np.arange(len(x)))
                    hx = theta
                Hp = H - np.diag(self.penalizer * 4 * theta**2 * wsum)
                try:
                    if np.max(np.linalg.eigvalsh(Hp)) >= 0:
                        return None
                    step = -np.linalg.solve(Hp, gt)
                except np.linalg.LinAlgError:
                    return None
                f0 = d["w"] @ ll - self.penalizer * np.sum(theta**2) * wsum
                t = 1.0
                small = np.max(np.abs(step)) < 1e-3
                while not small:  # far out: backtrack until the likelihood does not fall
                    xn = x + t * step
                    if np.any(np.abs(xn) > LOG_BOUND):
                        return None
                    fn = d["w"] @ self._loglik(np.exp(xn), d, grad=False)[0] - \
                        self.penalizer * np.sum(np.exp(xn) ** 2) * wsum
                    if np.isfinite(fn) and fn >= f0 - 1e-12 * abs(f0):
                        break
                    t /= 2
                    if t < 1e-4:
                        return None
                if small:  # close in a Newton step is safe; _set_params evaluates the LL
                    xn, fn = x + step, f0
                    if np.any(np.abs(xn) > LOG_BOUND):
                        return None
                x = xn
                last = np.max(np.abs(t * step))
                if last < 1e-5:  # the next step would be ~1e-10: converged
                    if hx is not None:
                        self._hess_cache = (hx, H)
                    return SimpleNamespace(x=x, fun=-fn / wsum, success=True, nit=it,
                                           message="Newton steps converged")
                if last > 0.1 * prev:  # slow (approximate Hessian): compute it exactly next
                    H = None
                prev = last
        return None

    def _hessian_log(self, theta, d, idx, h=1e-6):
        """Observed-information Hessian of the total log-likelihood in log parameters.

        Forward differences of the exact gradient (not of the likelihood): k + 1 gradient
        evaluations, accurate to ~1e-6 relative, which is plenty for standard errors.
        """
        logp = np.log(theta)
        k = len(idx)
        H = np.zeros((k, k))
        _, g0 = self._loglik(theta, d)
        g0 = d["w"] @ g0
        for j, i in enumerate(idx):
            step = np.zeros_like(logp)
            step[i] = h
            _, gp = self._loglik(np.exp(logp + step), d)
            H[:, j] = ((d["w"] @ gp) - g0)[idx] / h
        return (H + H.T) / 2

    # -- models from given parameters -----------------------------------------------------------
    def _given_unit(self, time_unit):
        """The unit of a model made from parameters (continuous-time models need one)."""
        from ..units import check_unit

        if time_unit is None:
            raise ParameterError(
                f"{self.name}: from_params needs time_unit='D'|'W'|'M', the unit the parameters "
                "are in (e.g. weeks for Fader, Hardie & Lee's CDNOW estimates).")
        return check_unit(time_unit)

    def _set_given(self, params, time_unit):
        """Set published parameters instead of fitting (see :func:`crmlab.clv.from_params`)."""
        names = list(self.param_names)
        try:
            given = {str(k): v for k, v in dict(params).items()}
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name}: params must be a dict of {names}; got {params!r}.") from None
        missing = [n for n in names if n not in given]
        extra = [n for n in given if n not in names]
        if missing or extra:
            raise ParameterError(
                f"{self.name}: params must name exactly {names}"
                + (f"; missing {missing}" if missing else "") + (f"; unknown {extra}" if extra else "") + ".")
        try:
            theta = np.array([float(given[n]) for n in names])
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name}: every parameter must be a number; got {given!r}.") from None
        if not np.all(np.isfinite(theta) & (theta > 0)):
            raise ParameterError(f"{self.name}: every parameter must be a finite number > 0; got {given!r}.")
        self.time_unit_ = self._given_unit(time_unit)
        self._assume_unit = True
        self.given_params_ = True
        self._theta = theta
        self.data_ = None
        self._d = None
        self.n_customers_ = 0.0
        self.params_ = pd.Series(theta, index=names, name="estimate")
        nan = np.full(len(names), np.nan)
        self.standard_errors_ = pd.Series(nan, index=names, name="se")
        self.covariance_log_ = pd.DataFrame(np.full((len(names),) * 2, np.nan), index=names, columns=names)
        self.confidence_intervals_ = pd.DataFrame({"lower 95%": nan, "upper 95%": nan}, index=names)
        self.log_likelihood_ = self.aic_ = self.bic_ = np.nan
        self.convergence_ = Convergence(True, "parameters given, not fitted", 0, 0)
        self._note_spec = None
        self.note_ = ""
        self._after_given()
        return self

    def _after_given(self):
        """Hook: model-specific attributes of a model made from parameters."""

    def _no_given(self, what: str = "this prediction"):
        """ModelError for data=None on a model made from parameters."""
        if getattr(self, "given_params_", False):
            raise ModelError(
                f"{self.name} was made from parameters (clv.from_params) and has no fitted data; "
                f"pass data= (a summary) to {what}.")

    # -- reporting ----------------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise ModelError(f"{self.name} is not fitted yet; call .fit(summary) first.")

    def summary(self, lang: str = "en") -> pd.DataFrame:
        """Estimates, standard errors and 95% intervals (log-scale, so always positive)."""
        self._check_fitted()
        i18n.check_lang(lang)
        out = pd.DataFrame({
            i18n.t("clv.estimate", lang): self.params_,
            i18n.t("clv.se", lang): self.standard_errors_,
            i18n.t("clv.lower", lang): self.confidence_intervals_["lower 95%"],
            i18n.t("clv.upper", lang): self.confidence_intervals_["upper 95%"],
        })
        out.attrs.update({"log_likelihood": self.log_likelihood_, "aic": self.aic_, "bic": self.bic_,
                          "n_customers": self.n_customers_, "time_unit": self.time_unit_,
                          "note": self.note_, "convergence": str(self.convergence_)})
        return out

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"<crmlab.clv.{type(self).__name__} (not fitted)>"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        note = f"; {self.note_}" if self.note_ else ""
        return (f"<crmlab.clv.{type(self).__name__}: {ps}; LL={self.log_likelihood_:.2f}, "
                f"n={self.n_customers_:.0f}, unit={self.time_unit_}{note}>")

    # -- uncertainty --------------------------------------------------------------------------
    def _delta_interval(self, func, n, *, transform="log", chunk=200_000, extra=None):
        """Delta-method 95% interval of a per-row prediction, computed in chunks.

        ``func(theta, extra_theta, sl)`` returns the prediction for rows ``sl``. Derivatives are
        central differences in log parameters; the interval is built on the log (or logit) scale
        so it respects the range of the quantity. ``extra`` is ``(theta, cov_log)`` of a second,
        independent model (the spend model in CLV).
        """
        if getattr(self, "given_params_", False):
            raise ModelError(
                f"{self.name}: intervals need the parameters' covariance from a fit, and this model "
                "was made from published parameters (clv.from_params); call without interval=True, "
                "or fit the model with clv.fit(...) to get intervals.")
        blocks = [(self._theta, self.covariance_log_.to_numpy(), 0)]
        if extra is not None:
            blocks.append((extra[0], extra[1], 1))
        fwd = {"log": np.log, "logit": lambda p: np.log(p) - np.log1p(-p)}[transform]
        inv = {"log": np.exp, "logit": lambda z: 1 / (1 + np.exp(-z))}[transform]
        est = np.empty(n)
        lo = np.empty(n)
        hi = np.empty(n)
        h = 1e-4
        for start in range(0, n, chunk):
            sl = slice(start, min(n, start + chunk))
            thetas = [b[0] for b in blocks]
            f0 = func(*thetas, sl) if extra is not None else func(thetas[0], None, sl)
            with np.errstate(all="ignore"):
                z0 = fwd(f0)
            var = np.zeros_like(f0)
            for th, cov, which in blocks:
                cov = np.where(np.isfinite(cov), cov, 0.0)
                free = np.flatnonzero(np.diag(cov) > 0)
                grads = []
                for i in free:
                    tp = th.copy()
                    tm = th.copy()
                    tp[i] *= np.exp(h)
                    tm[i] *= np.exp(-h)
                    args_p = [t.copy() for t in thetas]
                    args_m = [t.copy() for t in thetas]
                    args_p[which], args_m[which] = tp, tm
                    fp = func(*args_p, sl) if extra is not None else func(args_p[0], None, sl)
                    fm = func(*args_m, sl) if extra is not None else func(args_m[0], None, sl)
                    with np.errstate(all="ignore"):
                        grads.append((fwd(fp) - fwd(fm)) / (2 * h))
                if grads:
                    G = np.vstack(grads)
                    C = cov[np.ix_(free, free)]
                    var += np.einsum("in,ij,jn->n", G, C, G)
            se = np.sqrt(np.where(np.isfinite(var), var, 0.0))
            est[sl] = f0
            with np.errstate(all="ignore"):
                lo[sl] = np.where(np.isfinite(z0), inv(z0 - Z95 * se), f0)
                hi[sl] = np.where(np.isfinite(z0), inv(z0 + Z95 * se), f0)
        return est, lo, hi


def interval_frame(est, lo, hi, index, name) -> pd.DataFrame:
    """A prediction with its interval as a DataFrame (columns: name, lower, upper)."""
    return pd.DataFrame({name: est, "lower": lo, "upper": hi}, index=index)
