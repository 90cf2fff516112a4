"""Report profiles: what to build (title, author, data set, parameters, chapter choice).

A profile is a YAML file in ``reports/profiles/`` (or any path)::

    title: {zh: 基于客户价值的CDNOW客户关系管理研究, en: Customer-value CRM on CDNOW}
    author: {zh: 张三, en: Zhang San}
    institution: {zh: 某某大学管理学院, en: School of Management}
    date: "2026"
    keywords: {zh: [客户价值, RFM], en: [customer value, RFM]}
    languages: [zh, en]
    parameters:            # shared: given to every chapter that declares the name
      dataset: cdnow
      observation_end: "1998-06-30"
    chapters:              # optional: parameters of one chapter (does not restrict the build)
      02_rfm: {n_bins: 4}
    only: [01_value_theory, 02_rfm]   # optional: build just these chapters
    exclude: [05_strategy]            # optional: leave these out

Chapters: every chapter notebook of the notebooks folder (``NN_name.ipynb``) is built, in
file-name order (:func:`crmlab.report.chapters.discover`), so a new chapter needs no profile
edit. ``chapters`` gives per-chapter parameters; a chapter it does not name still gets the
shared parameters it declares. ``only`` and ``exclude`` select chapters explicitly; the order
stays the file-name order. Every chapter named must exist.

Text fields are either one string or ``{zh: ..., en: ...}``. ``lang`` is set by the builder
(``--lang``), never in a profile. :func:`plan` validates everything against the notebooks'
``parameters`` cells before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ParameterError
from ..i18n import LANGS, check_lang
from ..notebook import Parameter, check_parameters, did_you_mean, notebook_parameters
from .chapters import discover, select

PROFILE_KEYS = {"title", "subtitle", "author", "supervisor", "institution", "date", "dataset",
                "keywords", "languages", "parameters", "chapters", "abstract", "description",
                "acknowledgements", "only", "exclude"}
DEFAULT_PROFILES_DIR = Path("reports") / "profiles"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def project_path(path: str | Path) -> Path:
    """``path`` as given, or, when it is relative and missing here, inside the project folder
    (so ``crmlab build`` also works when run from elsewhere)."""
    path = Path(path)
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


@dataclass
class Profile:
    name: str
    path: Path | None
    data: dict
    chapters: dict[str, dict]  # chapter -> its own parameters (never restricts the build)
    parameters: dict
    only: list[str] | None = None  # build just these chapters (None: every chapter found)
    exclude: list[str] = field(default_factory=list)

    def text(self, field_name: str, lang: str, default: str = "") -> str:
        """A localised text field (a plain string is used for both languages)."""
        value = self.data.get(field_name)
        if value is None:
            return default
        if isinstance(value, dict):
            return str(value.get(lang) or value.get("zh") or value.get("en") or default)
        return str(value)

    def keywords(self, lang: str) -> list[str]:
        value = self.data.get("keywords") or {}
        if isinstance(value, dict):
            value = value.get(lang) or []
        return [str(v) for v in value]

    @property
    def languages(self) -> list[str]:
        return [check_lang(x) for x in self.data.get("languages") or list(LANGS)]


@dataclass
class ChapterRun:
    """One chapter to execute in one language, with validated parameters."""

    chapter: str
    number: int
    lang: str
    source: Path
    parameters: dict[str, Any]
    declared: dict[str, Parameter] = field(repr=False, default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.lang}/{self.chapter}"


def resolve_profile_path(name_or_path: str, profiles_dir: Path | None = None) -> Path:
    """A profile name (``cdnow``) looks in ``reports/profiles/``; anything else is a path."""
    candidate = project_path(name_or_path)  # a relative path missing here: the project's
    if candidate.suffix in (".yml", ".yaml") or candidate.exists():
        if not candidate.exists():
            raise ParameterError(f"profile file {candidate} not found.")
        return candidate
    pdir = project_path(profiles_dir or DEFAULT_PROFILES_DIR)
    for suffix in (".yml", ".yaml"):
        path = pdir / f"{name_or_path}{suffix}"
        if path.exists():
            return path
    known = sorted(p.stem for p in pdir.glob("*.y*ml")) if pdir.exists() else []
    raise ParameterError(
        f"profile {name_or_path!r} not found in {pdir}; known profiles: "
        f"{', '.join(known) or 'none'}. Pass a name or the path of a .yml file.")


def load_profile(name_or_path, profiles_dir: Path | None = None) -> Profile:
    """Read and shape-check a profile (a name, a path, a dict, or a Profile returned as is)."""
    if isinstance(name_or_path, Profile):
        return name_or_path
    if isinstance(name_or_path, dict):
        data, path, name = dict(name_or_path), None, str(name_or_path.get("name", "custom"))
    else:
        path = resolve_profile_path(str(name_or_path), profiles_dir)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ParameterError(f"{path}: not valid YAML ({exc}).") from None
        name = path.stem
    where = f"profile {name}"
    if not isinstance(data, dict):
        raise ParameterError(f"{where}: the file must be a mapping of fields.")
    data.pop("name", None)
    unknown = sorted(set(data) - PROFILE_KEYS)
    if unknown:
        raise ParameterError(f"{where}: unknown field(s) {', '.join(unknown)}; valid fields: "
                             f"{', '.join(sorted(PROFILE_KEYS))}.")
    params = dict(data.get("parameters") or {})
    if "dataset" in data:
        params.setdefault("dataset", data["dataset"])
    chapters = data.get("chapters")
    if isinstance(chapters, list):  # [01_x, {02_y: {...}}]
        flat: dict[str, dict] = {}
        for item in chapters:
            if isinstance(item, dict):
                flat.update(item)
            else:
                flat[str(item)] = {}
        chapters = flat
    if chapters is None:
        chapters = {}
    if not isinstance(chapters, dict) or not all(isinstance(v, dict) or v is None
                                                 for v in chapters.values()):
        raise ParameterError(f"{where}: `chapters` gives parameters per chapter, e.g. "
                             "`chapters: {02_rfm: {n_bins: 4}}`; every chapter found is built "
                             "(choose with `only: [...]` or `exclude: [...]`).")
    chapters = {str(k): dict(v or {}) for k, v in chapters.items()}
    selection = {}
    for key in ("only", "exclude"):
        value = data.get(key)
        if isinstance(value, str):
            value = [value]
        if value is not None and (not isinstance(value, list) or
                                  not all(isinstance(v, str) for v in value)):
            raise ParameterError(f"{where}: `{key}` must be a list of chapter names, e.g. "
                                 f"`{key}: [02_rfm, 03_clv]`.")
        selection[key] = value
    for scope, values in [("parameters", params)] + [(f"chapters.{k}", v) for k, v in
                                                     chapters.items()]:
        if "lang" in values:
            raise ParameterError(f"{where}: {scope} sets `lang`; choose the language with "
                                 "--lang (or the profile's `languages`).")
    for lang in data.get("languages") or []:
        try:
            check_lang(lang)
        except ParameterError as exc:
            raise ParameterError(f"{where}: languages: {exc}") from None
    return Profile(name=name, path=path, data=data, chapters=chapters, parameters=params,
                   only=selection["only"], exclude=selection["exclude"] or [])


def parse_overrides(items: list[str] | None) -> tuple[dict, dict[str, dict]]:
    """Parse ``-p KEY=VALUE`` (shared) and ``-p CHAPTER.KEY=VALUE`` items; values are YAML."""
    shared: dict[str, Any] = {}
    per_chapter: dict[str, dict] = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(f"-p {item!r}: write KEY=VALUE, e.g. -p n_bins=4.")
        key, _, raw = item.partition("=")
        key = key.strip()
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if "." in key:
            chapter, _, key = key.partition(".")
            per_chapter.setdefault(chapter, {})[key] = value
        else:
            shared[key] = value
    return shared, per_chapter


def plan(profile: Profile, notebooks_dir: str | Path, langs: list[str],
         overrides: list[str] | None = None) -> list[ChapterRun]:
    """Validate the profile (plus ``-p`` overrides) against the notebooks; list the runs.

    The chapters are those of the notebooks folder in file-name order (:mod:`.chapters`),
    narrowed by the profile's ``only``/``exclude``. Raises ParameterError before anything
    runs: a chapter named that has no notebook, a shared parameter no
    chapter declares, a chapter parameter its notebook does not declare, a wrong type, a bad
    date order.
    """
    notebooks_dir = project_path(notebooks_dir)
    shared_over, chapter_over = parse_overrides(overrides)
    if "lang" in shared_over:
        raise ParameterError("-p lang=...: choose the language with --lang.")
    where = f"profile {profile.name}"
    chosen = select(discover(notebooks_dir), parameters=profile.chapters, only=profile.only,
                    exclude=profile.exclude, where=where, directory=notebooks_dir)
    declared: dict[str, dict[str, Parameter]] = {c.name: notebook_parameters(c.notebook)
                                                 for c in chosen}
    for chapter in chapter_over:
        if chapter not in declared:
            raise ParameterError(f"-p {chapter}.…: {chapter!r} is not a chapter of {where} "
                                 f"({', '.join(declared)}).")
    shared = {**profile.parameters, **shared_over}
    everywhere = set().union(*(set(d) for d in declared.values()))
    stray = sorted(set(shared) - everywhere)
    if stray:
        listing = "\n".join(f"  {c}: {', '.join(d) or '(none)'}" for c, d in declared.items())
        raise ParameterError(f"{where}: shared parameter(s) {', '.join(map(repr, stray))} are "
                             f"declared by no chapter{did_you_mean(stray, everywhere)}. "
                             f"Parameters per chapter:\n{listing}")
    runs = []
    for lang in langs:
        check_lang(lang)
        for number, source in enumerate(chosen, 1):
            chapter = source.name
            values = {k: v for k, v in shared.items() if k in declared[chapter]}
            values.update(profile.chapters.get(chapter, {}))
            values.update(chapter_over.get(chapter, {}))
            if "lang" in declared[chapter]:
                values["lang"] = lang
            checked = check_parameters(values, declared[chapter],
                                       where=f"{where}, chapter {chapter}")
            runs.append(ChapterRun(chapter, number, lang, source.notebook, checked,
                                   declared[chapter]))
    from ..preflight import check_runs

    check_runs(runs, where)  # columns and dates against the file, before any chapter runs
    return runs
