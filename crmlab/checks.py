"""Input checks shared by the analysis modules, so every module words the same mistake the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import CrmlabError, DataError, ParameterError


def finite_column(frame: pd.DataFrame, column: str, *, who: str,
                  error: type[CrmlabError] = DataError) -> np.ndarray:
    """``frame[column]`` as float64, or ``error`` naming ``who`` and the column.

    Booleans count as 0/1. Non-numeric, missing and infinite values are refused: the caller
    decides (with ``error``) whether that is a data problem or a model problem.
    """
    s = frame[column]
    if s.dtype == bool:
        s = s.astype("float64")
    try:
        values = pd.to_numeric(s, errors="raise").to_numpy(dtype="float64")
    except (TypeError, ValueError):
        example = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
        shown = f"; found values such as {example.iloc[0]!r}" if len(example) else ""
        raise error(f"{who}: column {column!r} must be numeric{shown}.") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise error(
            f"{who}: column {column!r} has {int(bad.sum())} missing or infinite value(s); "
            "drop or fill those rows first."
        )
    return values


def parse_date(value, name: str, *, where: str | None = None) -> pd.Timestamp:
    """A date parameter (``observation_end``, ``calibration_end``...) as a Timestamp.

    Raises ParameterError naming the parameter (and ``where`` it was given) when the value is
    missing or not a date. Time zones are left as given; callers decide what to do with them.
    """
    prefix = f"{where}: " if where else ""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ParameterError(
            f"{prefix}{name}={value!r} is not a date; write it as 'YYYY-MM-DD' (e.g. '1997-09-30')."
        ) from None
    if ts is pd.NaT:
        raise ParameterError(f"{prefix}{name} is missing; pass a date such as '1997-09-30'.")
    return ts


def bound_end(ts: pd.Timestamp) -> pd.Timestamp:
    """The last instant an end bound (``observation_end``, ``calibration_end``,
    ``analysis_date``) includes.

    A bound at midnight is a date and means the whole day: every transaction on that day,
    whatever its time, is included (the result is 23:59:59.999999 of that day, microseconds
    being the resolution crmlab computes at). A bound with any other time of day is taken as
    given (inclusive). To end a period at midnight, give the previous day.
    """
    if ts == ts.normalize():
        return ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return ts


def parse_end(value, name: str, *, where: str | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """An end bound as ``(given, last included instant)``: see :func:`parse_date` and
    :func:`bound_end`. ``given`` is what attrs and messages show; compare data with the
    second (``date <= last``)."""
    ts = parse_date(value, name, where=where)
    return ts, bound_end(ts)
