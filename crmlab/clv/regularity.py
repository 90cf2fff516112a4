"""Does purchase regularity pay? BG/NBD and MBG/NBD against their CNBD-k versions, log by log.

Reutterer, Platzer & Schröder (2021) fit the classic models and their Erlang-k versions
(Platzer & Reutterer 2016) on six benchmark logs and compare fit and holdout accuracy.
:func:`regularity_table` does the same for any set of summaries that carry ``litt``
(``crmlab.summarise(..., regularity=True)``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .. import i18n
from ..errors import DataError

PAIRS = (("bgnbd", "bgcnbdk"), ("mbgnbd", "mbgcnbdk"))

i18n.register({
    "clv.reg.log": {"zh": "日志", "en": "log"},
    "clv.reg.k": {"zh": "{model} 的 k", "en": "k of {model}"},
    "clv.reg.ll": {"zh": "{model} 对数似然", "en": "{model} log-likelihood"},
    "clv.reg.mae": {"zh": "{model} MAE", "en": "{model} MAE"},
    "clv.reg.pays": {"zh": "规律性是否有益", "en": "regularity pays"},
    "clv.reg.yes": {"zh": "是", "en": "yes"},
    "clv.reg.no": {"zh": "否（k = 1）", "en": "no (k = 1)"},
})


def regularity_table(summaries: Mapping[str, pd.DataFrame], *, lang: str = "en",
                     criterion: str = "bic") -> pd.DataFrame:
    """Fit BG/NBD, MBG/NBD, BG/CNBD-k and MBG/CNBD-k on each summary and set them side by side.

    Parameters
    ----------
    summaries : mapping of name -> summary
        Calibration/holdout summaries with ``litt`` (``summarise(..., regularity=True)``).
    lang : {"zh", "en"}
    criterion : {"bic", "aic"}
        Regularity "pays" on a log when MBG/CNBD-k (k > 1) beats MBG/NBD on this criterion.

    Returns
    -------
    DataFrame
        One row per log: k of each CNBD-k model, the four log-likelihoods, the four holdout
        MAEs and whether regularity pays. ``attrs["models"]`` holds the fitted models by log.
    """
    from . import fit
    from ..summary import compress
    from .validation import holdout_report

    i18n.check_lang(lang)
    rows, fitted = {}, {}
    for name, s in summaries.items():
        if "litt" not in s.columns:
            raise DataError(f"summary {name!r} has no litt column; build it with "
                            "crmlab.summarise(..., regularity=True).")
        patterns = compress(s)
        models = {key: fit(key, patterns) for pair in PAIRS for key in pair}
        report = holdout_report(models, s, lang="en")
        fitted[name] = models
        row = {}
        for plain, regular in PAIRS:
            row[i18n.t("clv.reg.k", lang, model=models[regular].name)] = int(models[regular].k_)
        for key in (k for pair in PAIRS for k in pair):
            row[i18n.t("clv.reg.ll", lang, model=models[key].name)] = float(models[key].log_likelihood_)
        for key in (k for pair in PAIRS for k in pair):
            row[i18n.t("clv.reg.mae", lang, model=models[key].name)] = float(report.loc[key, "MAE"])
        plain, regular = models["mbgnbd"], models["mbgcnbdk"]
        attr = f"{criterion}_"
        pays = regular.k_ > 1 and getattr(regular, attr) < getattr(plain, attr)
        row[i18n.t("clv.reg.pays", lang)] = i18n.t("clv.reg.yes" if pays else "clv.reg.no", lang)
        rows[name] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = i18n.t("clv.reg.log", lang)
    out.attrs["models"] = fitted
    out.attrs["pays"] = {name: bool(fitted[name]["mbgcnbdk"].k_ > 1
                                    and getattr(fitted[name]["mbgcnbdk"], f"{criterion}_")
                                    < getattr(fitted[name]["mbgnbd"], f"{criterion}_"))
                         for name in fitted}
    return out
