"""Input checks shared by the value modules (and by :mod:`crmlab.rfm` and :mod:`crmlab.segments`,
which score customers on several columns the same way)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError


def _values(values, name: str = "values", *, allow_negative: bool = False) -> pd.Series:
    """A float Series (index kept) with no missing values; a clear error otherwise."""
    if isinstance(values, pd.DataFrame):
        raise ParameterError(f"{name} must be one column (a Series or array), not a DataFrame; "
                             f"pass e.g. frame['monetary'].")
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    try:
        s = s.astype("float64")
    except (TypeError, ValueError):
        raise DataError(f"{name} must be numeric; convert the column first.") from None
    if len(s) == 0:
        raise DataError(f"{name} is empty: there are no customers to analyse.")
    n_bad = int(s.isna().sum())
    if n_bad:
        raise DataError(f"{name} has {n_bad} missing values; fill or drop them first.")
    if not np.isfinite(s.to_numpy()).all():
        raise DataError(f"{name} has infinite values; drop them first.")
    if not allow_negative and (s < 0).any():
        raise DataError(f"{name} has {int((s < 0).sum())} negative values; Gini/Lorenz/pyramid "
                        f"shares need non-negative values (use whale_curve for profit that can "
                        f"be negative).")
    return s


def _rank_desc(s: pd.Series) -> np.ndarray:
    """Positions sorting ``s`` from largest to smallest; ties keep the input index order.

    Ties are broken by the sorted index labels, not by row order, so a shuffled input gives the
    same ranking.
    """
    idx = s.index.to_numpy()
    try:
        tie = np.argsort(np.argsort(idx, kind="stable"), kind="stable")
    except TypeError:  # mixed-type index: fall back to the string form
        tie = np.argsort(np.argsort(idx.astype(str), kind="stable"), kind="stable")
    return np.lexsort((tie, -s.to_numpy()))


def _criteria_frame(frame: pd.DataFrame, columns=None, *, what: str = "criteria",
                    min_rows: int = 2) -> pd.DataFrame:
    """The named numeric columns as float64, with clear errors for missing/non-numeric/NaN.

    Shared by every module that scores customers on several columns (``what`` names them in
    the messages: criteria, features, items...).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"pass the {what} as a DataFrame, one column each, one row per "
                             f"customer.")
    cols = list(frame.columns) if columns is None else list(columns)
    if not cols:
        raise DataError(f"no {what} columns given.")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(f"{what} columns {missing} are not in the frame; it has "
                        f"{list(frame.columns)[:12]}.")
    x = frame[cols]
    non_num = [c for c in cols if not pd.api.types.is_numeric_dtype(x[c])]
    if non_num:
        raise DataError(f"{what} columns {non_num} are not numeric; encode them or leave them out.")
    x = x.astype("float64")
    if x.isna().any().any():
        bad = list(x.columns[x.isna().any()])
        raise DataError(f"{what} columns {bad} have missing values; fill or drop them first.")
    if len(x) < min_rows:
        raise DataError(f"need at least {min_rows} customers; got {len(x)}.")
    return x


def _sign(d, name) -> int:
    if d in (1, "+", "positive", "benefit", "max"):
        return 1
    if d in (-1, "-", "negative", "cost", "min"):
        return -1
    raise ParameterError(f"direction of {name!r} is {d!r}; use '+' (more is better) or '-' "
                         f"(less is better, e.g. cost or receivables).")
