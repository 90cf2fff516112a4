"""Time units carried with the data.

A customer summary stores its unit in ``frame.attrs`` (see :func:`crmlab.summarise`), and every
model, prediction and CLV computation reads it from there. No function assumes a unit.

Units
-----
``"D"`` days, ``"W"`` weeks (7 days), ``"M"`` months. When durations are measured from daily
timestamps in a coarser unit, they are fractional: weeks are ``days / 7`` and months are
``days / (365.25 / 12)`` (the mean Gregorian month, 30.4375 days), so twelve months make one
mean year and no month is "30 days".
"""

from __future__ import annotations

import pandas as pd

from .errors import ModelError, ParameterError

UNITS = ("D", "W", "M")
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
UNIT_NAMES = {
    "D": {"zh": "天", "en": "day"},
    "W": {"zh": "周", "en": "week"},
    "M": {"zh": "月", "en": "month"},
}


def check_unit(unit: str, name: str = "time_unit") -> str:
    """Return ``unit`` normalised to upper case, or raise ParameterError naming the choices."""
    u = str(unit).upper()
    if u not in UNITS:
        raise ParameterError(f"{name}={unit!r} is not a time unit; use one of 'D', 'W' or 'M'.")
    return u


def days_to_units(days, unit: str):
    """Convert a number (or array/Series) of days into ``unit`` (fractional)."""
    return days / DAYS_PER_UNIT[check_unit(unit)]


def time_unit_of(frame: pd.DataFrame, *, default: str | None = None) -> str:
    """The time unit stored on a summary frame (``frame.attrs["time_unit"]``).

    Raises ModelError if the frame carries no unit and no ``default`` is given: a model must
    never guess whether recency and T are in days, weeks or months.
    """
    unit = frame.attrs.get("time_unit", default) if hasattr(frame, "attrs") else default
    if unit is None:
        raise ModelError(
            "the summary carries no time unit (frame.attrs['time_unit']). Build it with "
            "crmlab.summarise(..., time_unit='W'), or set summary.attrs['time_unit'] = 'W' "
            "(or 'D'/'M') to say in which unit recency and T are measured."
        )
    return check_unit(unit)


def rate_per_period(rate: float, *, per: str, unit: str) -> float:
    """Convert a discount rate quoted per ``per`` into the equivalent rate per ``unit``.

    Compounding is exact: ``(1 + rate) ** (days(unit) / days(per)) - 1``. Use ``per="Y"`` for an
    annual rate (365.25 days).
    """
    days = dict(DAYS_PER_UNIT, Y=365.25)
    per_u = str(per).upper()
    if per_u not in days:
        raise ParameterError(f"per={per!r} is not a period; use 'D', 'W', 'M' or 'Y'.")
    if rate <= -1:
        raise ParameterError(f"discount rate {rate!r} must be greater than -1.")
    return (1.0 + rate) ** (days[check_unit(unit)] / days[per_u]) - 1.0
