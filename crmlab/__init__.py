"""crmlab: customer-value analysis for CRM research and teaching.

The data flow runs one way: :func:`read_transactions` (clean data + ledger) →
:func:`summarise` (one row per customer) → the analyses in :mod:`crmlab.value`,
:mod:`crmlab.rfm`, :mod:`crmlab.clv`, :mod:`crmlab.segments` and :mod:`crmlab.strategy` →
figures and tables → notebooks → reports.
"""

from __future__ import annotations

import importlib

from .errors import BuildError, CrmlabError, DataError, ModelError, ParameterError

__version__ = "0.1.0"

# Everything that needs pandas loads on first use, so `import crmlab` (and `crmlab --help`)
# stays fast.
_LAZY = {
    "Ledger": ("crmlab.io", "Ledger"),
    "Transactions": ("crmlab.io", "Transactions"),
    "read_transactions": ("crmlab.io", "read_transactions"),
    "summarise": ("crmlab.summary", "summarise"),
    "compress": ("crmlab.summary", "compress"),
    "rfm_table": ("crmlab.summary", "rfm_table"),
}
_SUBMODULES = {
    "clv", "datasets", "value", "rfm", "segments", "strategy", "plots", "tables", "report",
    "summary", "units", "i18n", "notebook", "io", "checks", "errors", "cli", "narrative",
}

__all__ = [
    "BuildError", "CrmlabError", "DataError", "ModelError", "ParameterError", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    if name in _SUBMODULES:
        return importlib.import_module(f"crmlab.{name}")
    raise AttributeError(f"module 'crmlab' has no attribute {name!r}")
