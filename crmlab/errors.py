"""Errors a user can meet.

Every error names what is wrong (file, row, column or parameter) and how to fix it. Code that
catches pandas/pyarrow/duckdb exceptions re-raises one of these, ``from None`` where the
original traceback would only confuse, so no raw library traceback reaches the user.
"""

from __future__ import annotations


class CrmlabError(Exception):
    """Base class of every error crmlab raises on purpose."""


class DataError(CrmlabError, ValueError):
    """The input data is unusable as given (missing column, unparseable dates, empty file...)."""


class ModelError(CrmlabError, ValueError):
    """A model cannot be fitted or used with the data or options given."""


class ParameterError(CrmlabError, ValueError):
    """A function, notebook or profile parameter is unknown, mistyped or inconsistent."""


class BuildError(CrmlabError, RuntimeError):
    """A report or handout build failed; the message names the chapter, cell and log."""


def format_rows(rows, limit: int = 5) -> str:
    """Render up to ``limit`` example row numbers, e.g. ``"rows 3, 7, 9 (and 12 more)"``."""
    rows = list(rows)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}{more}"
