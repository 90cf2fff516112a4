"""One source for every user-facing string, in Chinese and English.

Each module keeps its own catalogue (a mapping ``key -> {"zh": ..., "en": ...}``) and registers
it here, so labels live next to the code that uses them but are looked up one way::

    from crmlab import i18n
    i18n.register({"recency": {"zh": "最近一次购买", "en": "Recency"}})
    i18n.t("recency", "zh")
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ParameterError

LANGS = ("zh", "en")
_CATALOGUE: dict[str, dict[str, str]] = {}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise a ParameterError naming the choices."""
    if lang not in LANGS:
        raise ParameterError(f"lang={lang!r} is not supported; use one of {', '.join(LANGS)}.")
    return lang


def register(entries: Mapping[str, Mapping[str, str]]) -> None:
    """Add entries to the catalogue. Each entry must have both languages."""
    for key, texts in entries.items():
        missing = [lang for lang in LANGS if lang not in texts]
        if missing:
            raise ValueError(f"i18n entry {key!r} lacks {missing}")
        existing = _CATALOGUE.get(key)
        if existing is not None and dict(existing) != dict(texts):
            raise ValueError(f"i18n key {key!r} registered twice with different texts")
        _CATALOGUE[key] = dict(texts)


def t(key: str, lang: str = "zh", **fmt) -> str:
    """Translate ``key`` into ``lang``; unknown keys come back unchanged (data-derived names)."""
    check_lang(lang)
    texts = _CATALOGUE.get(key)
    text = texts[lang] if texts else key
    return text.format(**fmt) if fmt else text


def has(key: str) -> bool:
    return key in _CATALOGUE


def catalogue() -> dict[str, dict[str, str]]:
    """A copy of every registered entry (for tests and the report)."""
    return {k: dict(v) for k, v in _CATALOGUE.items()}
