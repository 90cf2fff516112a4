"""Data sets: real logs shipped with the project, and seeded simulators for the course cases.

Real data
---------
- :func:`load_cdnow` — the CDNOW log (Fader & Hardie), full or the 1/10 sample.
- :func:`load_donations` — the discrete-time donations summary (BG/BB).
- :func:`load_benchmark` — six event logs of Reutterer, Platzer & Schröder (2021), and
  :func:`benchmark_summary` — their weekly calibration/holdout summary as the study makes it.
- :func:`load_retention_cohorts` — Fader & Hardie (2007) survival percentages.

Simulators (seeded, deterministic)
----------------------------------
- :func:`simulate_retail` — a retail log from BG/NBD purchasing and Gamma-Gamma spend.
- :func:`simulate_cohorts` — contractual cohorts from the shifted-beta-geometric model.
- ``simulate_bank``, ``simulate_distributor``, ``simulate_survey`` (course cases, in
  :mod:`crmlab.datasets.cases`) and ``simulate_campaign`` (a campaign experiment, in
  :mod:`crmlab.datasets.experiment`).

The files ship inside the package (``crmlab/datasets/data/``, found with
:mod:`importlib.resources`), so they load from a wheel install as from a clone; set the
environment variable ``CRMLAB_DATA`` to use another folder.
"""

from __future__ import annotations

import importlib
import os
from importlib import resources
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..checks import bound_end, parse_date
from ..errors import DataError, ParameterError
from ..io import Transactions, read_transactions

BENCHMARKS: dict[str, dict] = {
    "cdnow": {"file": "cdnow-elog.csv", "customers": 2357, "amount": "sales",
              "calibration_end": "1997-09-30", "observation_end": "1998-06-30"},
    "grocery": {"file": "grocery-elog.csv", "customers": 1525, "amount": None,
                "calibration_end": "2006-12-31", "observation_end": "2007-12-31"},
    "m18": {"file": "m18-elog.csv", "customers": 831, "amount": "amt",
            "calibration_end": "2009-12-31", "observation_end": "2010-03-31"},
    "donations": {"file": "donations-elog.csv", "customers": 21166, "amount": None,
                  "calibration_end": "2005-07-01", "observation_end": "2006-07-01"},
    "office": {"file": "office-elog.csv", "customers": 1000, "amount": None,
               "calibration_end": "2014-09-01", "observation_end": "2014-10-31"},
    "dietary": {"file": "dietary-elog.csv", "customers": 1000, "amount": None,
                "calibration_end": "2014-09-01", "observation_end": "2014-10-31"},
}
BENCHMARK_SOURCE = (
    "Reutterer, T., Platzer, M. & Schröder, N. (2021). Leveraging purchase regularity for "
    "predicting customer behavior the easy way. International Journal of Research in "
    "Marketing, 38(1), 194-215."
)

_CASES = {
    "simulate_bank": "crmlab.datasets.cases",
    "simulate_distributor": "crmlab.datasets.cases",
    "simulate_survey": "crmlab.datasets.cases",
    "simulate_campaign": "crmlab.datasets.experiment",
}


def __getattr__(name: str):
    if name in _CASES:
        return getattr(importlib.import_module(_CASES[name]), name)
    raise AttributeError(f"module 'crmlab.datasets' has no attribute {name!r}")


def data_dir() -> Path:
    """The folder holding the shipped data: ``CRMLAB_DATA``, or the package's own
    ``crmlab/datasets/data`` (inside an installed wheel as in a clone)."""
    env = os.environ.get("CRMLAB_DATA")
    path = Path(env) if env else Path(str(resources.files(__name__) / "data"))
    if not path.is_dir():
        raise DataError(
            f"the crmlab data folder {path} does not exist. Set CRMLAB_DATA to a folder that "
            "holds benchmarks/ and retention-cohorts.csv, or unset it to use the data shipped "
            "with crmlab (reinstall crmlab if that is missing)."
        )
    return path


@cache
def _lifetimes_dir() -> Path:
    import lifetimes

    return Path(lifetimes.__file__).parent / "datasets"


def load_cdnow(sample: bool = False) -> Transactions:
    """The CDNOW transaction log (Fader & Hardie), as shipped inside ``lifetimes``.

    Parameters
    ----------
    sample : bool
        False: the full cohort, 23,570 customers and 69,659 transactions (1997-01-01 to
        1998-06-30). True: the 1/10 sample of 2,357 customers used in Fader, Hardie & Lee (2005).

    Returns
    -------
    Transactions
        ``customer_id``, ``date``, ``amount`` (US dollars) and ``number_of_cds``. ``meta`` holds
        the usual split: calibration to 1997-09-30 (39 weeks), holdout to 1998-06-30.
        The log's 255 exact duplicate rows and 80 zero-amount rows are kept, as in the
        published analyses, and counted in the ledger.
    """
    import warnings

    if sample:
        raw = pd.read_csv(_lifetimes_dir() / "CDNOW_sample.txt", sep=r"\s+", header=None,
                          names=["master_id", "customer_id", "date", "number_of_cds",
                                 "dollar_value"], dtype=str)
        raw = raw.drop(columns="master_id")
        name = "CDNOW_sample.txt"
    else:
        raw = pd.read_csv(_lifetimes_dir() / "CDNOW_master.txt", sep=r"\s+", dtype=str)
        name = "CDNOW_master.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the kept remarks are in the ledger
        tx = read_transactions(raw, customer="customer_id", date="date", amount="dollar_value",
                               date_format="%Y%m%d")
    tx.ledger.source = name
    tx.meta["path"] = str(_lifetimes_dir() / name)
    tx.frame["number_of_cds"] = tx.frame["number_of_cds"].astype(int)
    tx.meta.update(
        name="cdnow-sample" if sample else "cdnow",
        currency="USD",
        calibration_end=pd.Timestamp("1997-09-30"),
        observation_end=pd.Timestamp("1998-06-30"),
        source="Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). Counting your customers "
               "the easy way. Marketing Science, 24(2), 275-284 (CDNOW data).",
    )
    return tx


def load_donations() -> pd.DataFrame:
    """The donations summary for the BG/BB model (Fader, Hardie & Shang 2010).

    11,104 first-time donors of 1995, observed over six annual donation opportunities
    (1996-2001). Columns ``frequency``, ``recency``, ``n_periods`` and ``weights`` (the number
    of donors with that pattern). ``attrs["time_unit"]`` is ``"opportunity"``: one period is
    one yearly chance to donate.
    """
    frame = pd.read_csv(_lifetimes_dir() / "donations.csv").rename(columns={"periods": "n_periods"})
    frame.attrs.update(time_unit="opportunity", period="year",
                       source="Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base "
                              "analysis in a discrete-time noncontractual setting. Marketing "
                              "Science, 29(6), 1086-1108.")
    return frame


def load_benchmark(name: str) -> Transactions:
    """One of the six benchmark event logs of Reutterer, Platzer & Schröder (2021).

    ``name`` is one of cdnow, grocery, m18, donations, office, dietary. ``meta`` holds the
    documented ``calibration_end`` and ``observation_end`` (the holdout end), the expected
    customer count and the source. The study measures time in weeks and merges same-day
    purchases: ``summarise(tx, ..., aggregate="D", time_unit="W")``.
    """
    key = str(name).lower()
    if key not in BENCHMARKS:
        raise ParameterError(f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}.")
    info = BENCHMARKS[key]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tx = read_transactions(data_dir() / "benchmarks" / info["file"], customer="cust",
                               date="date", amount=info["amount"])
    tx.meta.update(
        name=key,
        calibration_end=pd.Timestamp(info["calibration_end"]),
        observation_end=pd.Timestamp(info["observation_end"]),
        n_customers=info["customers"],
        source=BENCHMARK_SOURCE,
    )
    return tx


def benchmark_summary(name: str, *, regularity: bool = False) -> pd.DataFrame:
    """The study's calibration/holdout summary of benchmark log ``name``.

    Reutterer, Platzer & Schröder (2021) merge same-day purchases and measure time in weeks,
    with the split in :func:`load_benchmark`'s ``meta``:
    ``summarise(tx, observation_end=..., calibration_end=..., aggregate="D", time_unit="W")``.
    Transactions after the holdout end are part of the protocol, so they are excluded
    without a warning (their number stays in ``attrs["excluded_after_end"]``).
    ``regularity=True`` adds ``litt`` for the CNBD-k models.
    """
    import warnings

    from ..summary import summarise

    tx = load_benchmark(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return summarise(tx, observation_end=tx.meta["observation_end"],
                         calibration_end=tx.meta["calibration_end"], aggregate="D", time_unit="W",
                         regularity=regularity)


def load_retention_cohorts() -> pd.DataFrame:
    """Percentage of customers still subscribed by year, for two cohorts of 1,000 customers.

    Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
    Marketing 21(1), Table 1. Index ``year`` (0-12); columns ``regular`` and ``high_end``
    (percent surviving). The paper fits years 0-7 and tests the projection on years 8-12.
    """
    frame = pd.read_csv(data_dir() / "retention-cohorts.csv").set_index("year")
    frame.columns = ["regular", "high_end"]
    frame.attrs.update(time_unit="year", cohort_size=1000,
                       source="Fader, P. S. & Hardie, B. G. S. (2007). How to project customer "
                              "retention. Journal of Interactive Marketing, 21(1), 76-90.")
    return frame


def _year_last(formats: str | None) -> bool:
    """True when the date formats a log was read with (``Ledger.date_format``) write the year
    last (``%m/%d/%Y``...), so that day and month may have been swapped."""
    return any(f.split(" ")[0].endswith("%Y") for f in (formats or "").split(" + "))


BUILTIN = ("cdnow", "cdnow-sample", "simulated-retail", *(f"benchmark-{k}" for k in BENCHMARKS))


def load(
    dataset: str,
    *,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    observation_end=None,
    calibration_end=None,
    currency: str | None = None,
    n_simulated: int = 2000,
    seed: int = 0,
    require_amount: bool = False,
    encoding: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    decimal: str | None = None,
    timezone: str | None = None,
) -> Transactions:
    """Resolve a notebook's ``dataset`` parameter into transactions with a dated split.

    Parameters
    ----------
    dataset : str
        ``"cdnow"``, ``"cdnow-sample"``, ``"simulated-retail"`` (``n_simulated`` customers from
        :func:`simulate_retail` with ``seed``), ``"benchmark-<name>"`` for a log of
        :func:`load_benchmark`, or the path of the user's own file (read with
        :func:`crmlab.read_transactions` and the column names given).
    customer, date, amount : str, optional
        Column names for a user's file; empty strings count as not given.
    observation_end, calibration_end : str or Timestamp, optional
        Override the data set's own dates. When the data set has none, the observation ends on
        the last transaction day and the calibration period covers the first two thirds of
        the span (rounded down to a day).
    currency : str, optional
        Override the data set's currency label (CDNOW: USD).
    require_amount : bool
        Raise a DataError when the log has no amount column (for analyses of spend).
    encoding, sheet, date_format, decimal, timezone : str, optional
        How a user's file is read, passed to :func:`crmlab.read_transactions` (see there);
        empty strings count as not given. Their values are checked first
        (:func:`crmlab.preflight.reader_options`). Like the column names they describe the
        user's file, so a built-in data set ignores them and is read as shipped: a profile
        written for one's own file can then be tried on the sample with
        ``-p dataset=cdnow-sample``. Without ``date_format``, a file whose dates are written
        year last (``03/05/2024``) must show its day/month order and be read in it, as
        :func:`crmlab.preflight.check_dataset` demands before a chapter runs
        (:func:`crmlab.preflight.check_day_month`; a ParameterError names the format).

    Returns
    -------
    Transactions
        ``meta`` holds ``name``, ``observation_end``, ``calibration_end`` (Timestamps: at
        midnight for a date, which means the whole day; a bound given with a time of day keeps
        it), ``currency`` and, for files, ``path``.
    """
    if not isinstance(dataset, str) or not dataset.strip():
        raise ParameterError(
            f"dataset={dataset!r}: give one of {', '.join(BUILTIN)} or the path of a "
            "transaction file (CSV, Excel or Parquet)."
        )
    from ..preflight import reader_options

    options = reader_options(encoding=encoding, sheet=sheet, date_format=date_format,
                             decimal=decimal, timezone=timezone)
    key = dataset.strip()
    if key in ("cdnow", "cdnow-sample"):
        tx = load_cdnow(sample=key == "cdnow-sample")
    elif key == "simulated-retail":
        # the simulated case carries referrals, so the loyalty ladder can show advocates
        # (chapter 04 with referral_col="referrals")
        tx = simulate_retail(n_simulated, seed=seed, referral_rate=SIMULATED_REFERRAL_RATE)
        tx.meta.setdefault("currency", "CNY")
    elif key.startswith("benchmark-") and key[len("benchmark-"):] in BENCHMARKS:
        tx = load_benchmark(key[len("benchmark-"):])
    else:
        path = Path(key).expanduser()
        if not path.exists():
            raise ParameterError(
                f"dataset={dataset!r} is neither a built-in data set ({', '.join(BUILTIN)}) nor "
                f"an existing file (looked for {path.resolve()}). Check the spelling or the path."
            )
        tx = read_transactions(path, customer=customer or None, date=date or None,
                               amount=amount or None, **options)
        if options["date_format"] is None and _year_last(tx.ledger.date_format):
            # The reader guesses the day/month order of 03/05/2024; pre-flight's check says
            # whether the file shows it and was read in it (it rereads the date column only).
            from ..preflight import check_day_month

            check_day_month(path, tx.ledger.columns["date"], encoding=options["encoding"],
                            sheet=options["sheet"], timezone=options["timezone"],
                            customer=tx.ledger.columns.get("customer_id"),
                            amount=tx.ledger.columns.get("amount"))
        tx.meta.setdefault("name", path.name)
    tx.meta.setdefault("name", key)
    if require_amount and not tx.has_amount:
        raise DataError(
            f"{tx.source}: this analysis needs purchase amounts, but the log has no amount "
            f"column (columns: {', '.join(tx.ledger.columns.values()) or 'none recognised'}). "
            "Pass amount_col='<column>' (e.g. 实付金额), or use a chapter that works on "
            "purchase counts only."
        )
    # A date (midnight) means the whole day, a time of day is kept as given (checks.bound_end).
    obs = observation_end or tx.meta.get("observation_end")
    obs = (parse_date(obs, "observation_end") if obs
           else tx.frame["date"].max().normalize())
    first_day = tx.frame["date"].min().normalize()
    cal = calibration_end or tx.meta.get("calibration_end")
    cal = (parse_date(cal, "calibration_end") if cal
           else (first_day + (obs.normalize() - first_day) * 2 / 3).normalize())
    if not bound_end(cal) < bound_end(obs):
        raise ParameterError(
            f"calibration_end ({cal:%Y-%m-%d}) must be before observation_end ({obs:%Y-%m-%d})."
        )
    if bound_end(obs) < tx.frame["date"].min():
        raise ParameterError(
            f"observation_end ({obs:%Y-%m-%d}) is before the first transaction of {tx.source} "
            f"({first_day:%Y-%m-%d})."
        )
    tx.meta.update(observation_end=obs, calibration_end=cal,
                   currency=currency or tx.meta.get("currency", ""))
    return tx


# --------------------------------------------------------------------------------------------
# simulators

RETAIL_DEFAULTS = dict(r=0.75, alpha=4.0, a=0.8, b=2.5, p=3.0, q=4.0, v=30.0)


#: Referrals per repeat purchase (times the customer's propensity) in the simulated-retail case.
SIMULATED_REFERRAL_RATE = 0.2


def simulate_retail(
    n_customers: int = 10_000,
    *,
    r: float = RETAIL_DEFAULTS["r"],
    alpha: float = RETAIL_DEFAULTS["alpha"],
    a: float = RETAIL_DEFAULTS["a"],
    b: float = RETAIL_DEFAULTS["b"],
    p: float = RETAIL_DEFAULTS["p"],
    q: float = RETAIL_DEFAULTS["q"],
    v: float = RETAIL_DEFAULTS["v"],
    start: str = "2024-01-01",
    acquisition_weeks: float = 26.0,
    observation_weeks: float = 104.0,
    calibration_weeks: float = 78.0,
    seed: int = 0,
    referral_rate: float = 0.0,
) -> Transactions:
    """A retail transaction log drawn from BG/NBD purchasing and Gamma-Gamma spend.

    The generating process is exactly the models' (Fader, Hardie & Lee 2005; Fader, Hardie &
    Berger 2004), with the rate parameters in **weeks**:

    - each customer's purchase rate ``λ ~ Gamma(r, rate=alpha)`` per week and dropout
      probability ``p_drop ~ Beta(a, b)``;
    - first purchases arrive uniformly over the first ``acquisition_weeks``;
    - repeat purchases follow a Poisson process with rate λ; after each repeat purchase the
      customer drops out with probability ``p_drop``;
    - each transaction's value is ``Gamma(shape=p, rate=ν)`` with ``ν ~ Gamma(q, rate=v)``;
    - with ``referral_rate > 0``, a ``referrals`` column counts the customers each purchase
      brought in: ``Poisson(referral_rate · ρ)`` per repeat purchase, with a propensity
      ``ρ ~ Exponential(1)`` per customer (first purchases refer nobody). It is drawn from its
      own random stream, so the other columns are the same as without it.

    Timestamps keep their time of day (to the second). Every customer starts at a real first
    purchase and is observed over a common calendar window, so maximum likelihood on the
    exact-time statistics (recency and T from the timestamps, no merging) recovers the
    parameters: on 100,000 customers every parameter lands within 3% of the truth
    (``tests/test_datasets.py``). A daily summary (``summarise(aggregate="D")``) merges the
    ~2% of purchases that share a day with another, which is what real logs do, and biases
    ``alpha`` upwards by about 6% at the default parameters: a measurable cost of daily
    aggregation, not of the generator.

    Returns
    -------
    Transactions
        With ``meta["truth"]`` (the parameters), ``meta["observation_end"]``,
        ``meta["calibration_end"]`` and ``meta["time_unit"] = "W"``.
    """
    for k, val in dict(r=r, alpha=alpha, a=a, b=b, p=p, q=q, v=v).items():
        if not val > 0:
            raise ParameterError(f"{k}={val!r}: BG/NBD and Gamma-Gamma parameters must be > 0.")
    if n_customers < 1:
        raise ParameterError(f"n_customers={n_customers!r} must be at least 1.")
    rng = np.random.default_rng(seed)
    n = int(n_customers)
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    nu = rng.gamma(q, 1.0 / v, n)
    birth = rng.uniform(0.0, acquisition_weeks, n)
    window = observation_weeks - birth
    # Repeat purchases until dropout: geometric number; arrivals in the window: Poisson, whose
    # times given the count are sorted uniforms. The observed repeats are the first min(.,.).
    n_alive = rng.geometric(drop)  # purchases made up to and including the one after which
    n_arrivals = rng.poisson(lam * window)  # ... the customer drops out
    k = np.minimum(n_alive, n_arrivals)
    owner = np.repeat(np.arange(n), n_arrivals)
    u = rng.uniform(0.0, 1.0, owner.size) * window[owner]
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    first_pos = np.repeat(np.cumsum(n_arrivals) - n_arrivals, n_arrivals)
    rank = np.arange(owner.size) - first_pos
    keep = rank < k[owner]
    owner, u = owner[keep], u[keep]
    ids = np.concatenate([np.arange(n), owner])
    weeks = np.concatenate([birth, birth[owner] + u])
    amounts = rng.gamma(p, 1.0, ids.size) / nu[ids]
    t0 = pd.Timestamp(start)
    seconds = np.floor(weeks * 7 * 86400).astype("int64")
    frame = pd.DataFrame({
        "customer_id": pd.Series(ids).map("C{:07d}".format),
        "date": t0 + pd.to_timedelta(seconds, unit="s"),
        "amount": np.round(amounts, 2),
    })
    if referral_rate < 0:
        raise ParameterError(f"referral_rate={referral_rate!r} must be >= 0.")
    if referral_rate > 0:
        ref_rng = np.random.default_rng([seed, 7919])
        propensity = ref_rng.exponential(1.0, n)
        repeat = np.arange(ids.size) >= n  # the first n rows are the first purchases
        frame["referrals"] = np.where(repeat, ref_rng.poisson(referral_rate * propensity[ids]), 0)
    frame = frame.sort_values(["date", "customer_id"], kind="stable", ignore_index=True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tx = read_transactions(frame)
    tx.ledger.source = f"simulate_retail(n={n}, seed={seed})"
    tx.meta.update(
        name="simulated-retail",
        truth=dict(r=r, alpha=alpha, a=a, b=b, p=p, q=q, v=v),
        time_unit="W",
        observation_end=t0 + pd.Timedelta(weeks=observation_weeks),
        calibration_end=t0 + pd.Timedelta(weeks=calibration_weeks),
        seed=seed,
    )
    return tx


def simulate_cohorts(
    cohort_size: int = 1000,
    *,
    alpha: float = 0.7,
    beta: float = 1.2,
    periods: int = 12,
    seed: int = 0,
) -> pd.DataFrame:
    """Contractual cohort survival drawn from the shifted-beta-geometric model.

    Each customer's churn probability per period is ``θ ~ Beta(alpha, beta)`` (Fader & Hardie
    2007); a customer renews each period with probability ``1 − θ``. Returns a frame indexed by
    ``period`` (0..periods) with ``alive`` (customers still active) and ``pct_alive`` (percent).
    """
    if cohort_size < 1 or periods < 1:
        raise ParameterError("cohort_size and periods must be at least 1.")
    if not (alpha > 0 and beta > 0):
        raise ParameterError("alpha and beta of the sBG model must be > 0.")
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, cohort_size)
    lifetime = rng.geometric(theta)  # the period in which the customer churns (1, 2, ...)
    t = np.arange(periods + 1)
    alive = (lifetime[None, :] > t[:, None]).sum(axis=1)
    frame = pd.DataFrame({"alive": alive, "pct_alive": 100.0 * alive / cohort_size},
                         index=pd.Index(t, name="period"))
    frame.attrs.update(truth=dict(alpha=alpha, beta=beta), cohort_size=cohort_size, seed=seed)
    return frame
