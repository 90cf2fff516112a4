"""The thesis frame around the analysis chapters: introduction, conclusions, abstracts.

The analysis chapters (the executed notebooks) become chapters 2 … N+1. This module writes
chapter 1 (绪论 / Introduction: background, literature review, content and methods, the
research framework figure 图1-1, structure) and chapter N+2 (结论与展望 / Conclusions and
outlook), the generated opening of the abstract, and, in a Chinese thesis, the English
ABSTRACT with Key words. Every sentence comes from ``crmlab/report/text.yml`` filled with the
run's facts (:func:`crmlab.notebook.describe_data`), parameters and findings; nothing is
computed here beyond arranging what the chapters recorded.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from .. import i18n
from .. import narrative
from ..errors import ParameterError

#: Chapters whose notebooks carry simulated cases besides the main data set.
SIMULATED_CASES = ("01_value_theory", "02_rfm", "05_strategy")
INTRO_NAME, CONCLUSION_NAME = "00_introduction", "99_conclusions"


@dataclass
class Frame:
    """What the thesis template needs besides the chapters."""

    abstract_intro: str = ""
    english: dict = field(default_factory=dict)  # {"intro", "chapters": [(title, text)], "keywords"}


def _say(key: str, lang: str, **values) -> str:
    """A catalogue sentence, or "" when a value it needs is missing (a chapter not run)."""
    try:
        return narrative.render(key, lang, **values)
    except (ParameterError, KeyError, ValueError, IndexError):
        return ""


def facts_of(chapters) -> dict:
    """The data facts of the first chapter that recorded them."""
    for ch in chapters:
        if ch.facts:
            return dict(ch.facts)
    return {}


def findings_of(chapters) -> dict:
    """Finding key → value over all chapters (first one wins)."""
    out: dict = {}
    for ch in chapters:
        for f in ch.findings:
            out.setdefault(f.get("key"), f.get("value"))
    return out


def chapter_title(ch) -> str:
    """The chapter's title (its first ``# ...`` heading) before the chapter is rendered."""
    if ch.title:
        return ch.title
    for kind, payload in ch.blocks:
        if kind == "markdown":
            m = re.search(r"^#\s+(.+)$", payload, re.M)
            if m:
                return m.group(1).strip()
    return ch.name


def _pct(value) -> str:
    try:
        return narrative.percent(float(value))
    except (TypeError, ValueError):
        return ""


def _method(ch, lang: str, findings: dict) -> str:
    p = ch.parameters
    base = ch.name
    if base == "02_rfm":
        try:
            rules = narrative.rule_set_name(p.get("segment_rules", "auto"),
                                            bins=p.get("n_bins", 5))[lang]
        except Exception:  # a rule file relative to another folder: name it as given
            rules = str(p.get("segment_rules"))
        return _say("thesis.method.02_rfm", lang, n_bins=p.get("n_bins", 5), rules=rules)
    if base == "03_clv":
        model = (findings.get("model_used") or p.get("clv_model")
                 or (p.get("models") or ["bgnbd"])[0])
        return _say("thesis.method.03_clv", lang, model=_model_name(str(model)))
    key = f"thesis.method.{base}"
    narrative.load_text()
    return _say(key if i18n.has(key) else "thesis.method.other", lang)


def _model_name(key: str) -> str:
    """A purchase model's display name (``bgnbd`` → ``BG/NBD``); unknown keys as given."""
    try:
        from ..clv import model_class

        return str(getattr(model_class(key), "name", key))
    except Exception:  # a model this version does not know: name it as recorded
        return key


def roadmap_png(facts: dict, titles: list[tuple[int, str]], lang: str) -> bytes:
    """The research framework (技术路线图) as a PNG: data → preparation → one box per
    analysis chapter → strategy and conclusions."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from ..notebook import figure_png
    from ..plots import house_style
    from . import assemble  # noqa: F401  (registers the report.* labels used below)

    values = _values(facts, lang)
    top = _say("thesis.roadmap.data", lang, **values) or i18n.t("thesis.roadmap.caption", lang)
    prep = _say("thesis.roadmap.prep", lang, **values)
    bottom = _say("thesis.roadmap.result", lang)
    n = max(len(titles), 1)
    width = max(10.0, 2.2 * n)
    with house_style():
        fig, ax = plt.subplots(figsize=(width, 6.4))
        ax.set_xlim(0, width)
        ax.set_ylim(0, 6.4)
        ax.axis("off")

        def box(x, y, w, h, text, face):
            ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                        boxstyle="round,pad=0.05,rounding_size=0.12",
                                        facecolor=face, edgecolor="#444444", linewidth=1.0))
            ax.text(x, y, text, ha="center", va="center", fontsize=11)

        def arrow(x0, y0, x1, y1):
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>",
                                         mutation_scale=14, color="#444444", linewidth=1.0))

        mid = width / 2
        wide = min(width - 1, 7.0)
        box(mid, 5.7, wide, 0.95, top, "#e8eef7")
        if prep:
            box(mid, 4.45, wide, 0.8, prep, "#eef5ea")
            arrow(mid, 5.2, mid, 4.87)
        step = width / n
        for i, (number, title) in enumerate(titles):
            x = step * (i + 0.5)
            label = i18n.t("report.chapter", lang, n=number) + "\n" + "\n".join(
                _wrap(title, 7 if lang == "zh" else 14))
            box(x, 2.75, step * 0.82, 1.5, label, "#fbf3e6")
            arrow(mid, 4.03, x, 3.52)
            arrow(x, 1.98, mid, 1.17)
        box(mid, 0.75, wide, 0.8, bottom, "#f6e6e6")
        png = figure_png(fig)
    plt.close(fig)
    return png


def _wrap(text: str, size: int) -> list[str]:
    if " " in text:  # Latin text: wrap at spaces
        lines, line = [], ""
        for word in text.split():
            if line and len(line) + 1 + len(word) > size:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        return lines + [line] if line else lines
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def _values(facts: dict, lang: str) -> dict:
    out = {k: v for k, v in facts.items() if not isinstance(v, dict)}
    out.update({k: v[lang] for k, v in facts.items() if isinstance(v, dict) and lang in v})
    return out


def introduction(chapters, profile, lang: str, number: int = 1):
    """Chapter 1 (绪论 / Introduction) as an assemble Chapter of markdown and one figure."""
    from .assemble import Chapter

    facts = _values(facts_of(chapters), lang)
    findings = findings_of(chapters)
    company = profile.text("description", lang)
    company = f"{company}{'' if lang == 'zh' else ' '}" if company else ""
    t = lambda key, **kw: _say(key, lang, **{**facts, **kw})  # noqa: E731
    md = [t("thesis.intro.title"), t("thesis.intro.background_h")]
    background = t("thesis.intro.background", company=company)
    md.append(background or company)
    md.append(t("thesis.intro.significance"))
    md.append(t("thesis.intro.review_h"))
    for family in ("concentration", "rfm", "btyd", "segmentation", "strategy", "summary"):
        md.append(t(f"thesis.intro.review.{family}"))
    md.append(t("thesis.intro.content_h"))
    md.append(t("thesis.intro.content"))
    md.append("\n".join(t("thesis.intro.content_item", n=ch.number, title=chapter_title(ch),
                          method=_method(ch, lang, findings)) for ch in chapters))
    md.append(t("thesis.intro.roadmap_h"))
    md.append(t("thesis.intro.roadmap"))
    head = "\n\n".join(x for x in md if x)
    png = roadmap_png(facts_of(chapters), [(ch.number, chapter_title(ch)) for ch in chapters],
                      lang)
    figure = {"kind": "figure", "key": "thesis.roadmap",
              "caption": i18n.t("thesis.roadmap.caption", lang),
              "png": base64.b64encode(png).decode("ascii")}
    sep = "；" if lang == "zh" else ", "
    items = sep.join(t("thesis.intro.structure_item", n=ch.number, title=chapter_title(ch))
                     for ch in chapters)
    structure = (t("thesis.intro.structure", n=len(chapters) + 2) + items
                 + t("thesis.intro.structure_end", n=len(chapters) + 2))
    tail = "\n\n".join([t("thesis.intro.structure_h"), structure])
    ch = Chapter(name=INTRO_NAME, number=number, lang=lang, executed=True, facts=facts_of(chapters))
    ch.blocks = [("markdown", head), ("figure", figure), ("markdown", tail)]
    return ch


def conclusions(chapters, profile, lang: str, number: int):
    """The last chapter (结论与展望 / Conclusions and outlook)."""
    from .assemble import Chapter

    facts = _values(facts_of(chapters), lang)
    findings = findings_of(chapters)
    t = lambda key, **kw: _say(key, lang, **{**facts, **kw})  # noqa: E731
    md = [t("thesis.concl.title"), t("thesis.concl.findings_h"), t("thesis.concl.findings")]
    items = []
    k = 0
    for ch in chapters:
        texts = [(f.get("text") or {}).get(lang, "") for f in ch.findings]
        texts = [x for x in texts if x]
        if not texts:
            continue
        k += 1
        items.append(t("thesis.concl.chapter_item", k=k, title=chapter_title(ch), n=ch.number,
                       text=("" if lang == "zh" else " ").join(texts)))
    md.append("\n\n".join(items))
    md.append(t("thesis.concl.implications_h"))
    impl = []
    for key, finding, fmt in (("concentration", "top20_share", _pct),
                              ("clv", "mean_p_alive", _pct),
                              ("uplift", "best_fraction", _pct),
                              ("retention", "retention_equity_gain", _pct)):
        if findings.get(finding) is not None:
            impl.append(t(f"thesis.concl.impl.{key}", value=fmt(findings[finding])))
    md.append("\n".join(x for x in impl if x))
    md.append(t("thesis.concl.limits_h"))
    limits = [t("thesis.concl.limit.log")]
    if facts.get("simulated"):
        limits.append(t("thesis.concl.limit.simulated_main"))
    if any(ch.name in SIMULATED_CASES for ch in chapters):
        limits.append(t("thesis.concl.limit.simulated"))
    limits.append(t("thesis.concl.limit.holdout"))
    md.append("\n".join(x for x in limits if x))
    md.append(t("thesis.concl.outlook_h"))
    md.append(t("thesis.concl.outlook"))
    ch = Chapter(name=CONCLUSION_NAME, number=number, lang=lang, executed=True)
    ch.blocks = [("markdown", "\n\n".join(x for x in md if x))]
    return ch


def abstract_intro(chapters, profile, lang: str) -> str:
    """The abstract's opening: the profile's own text, else generated from the data facts."""
    own = profile.text("abstract", lang)
    if own:
        return own
    return _say("thesis.abstract.intro", lang, **_values(facts_of(chapters), lang))


def english_abstract(chapters, profile) -> dict:
    """The English ABSTRACT of a Chinese thesis, from the same findings (their English
    templates), and its Key words."""
    intro = abstract_intro(chapters, profile, "en")
    parts = []
    for ch in chapters:
        texts = [(f.get("text") or {}).get("en", "") for f in ch.findings]
        texts = [x for x in texts if x]
        if texts:
            parts.append(" ".join(texts))
    words = list(dict.fromkeys(profile.keywords("en") + [w for ch in chapters
                                                         for kw in ch.keywords
                                                         for w in kw.get("en", [])]))
    return {"intro": intro, "paragraphs": parts, "keywords": words,
            "title": profile.text("title", "en")}


def frame(chapters, profile, lang: str):
    """Renumber the analysis chapters from 2 and return ``(all chapters, Frame)`` with the
    introduction first and the conclusions last."""
    narrative.load_text()
    for i, ch in enumerate(chapters):
        ch.number = i + 2
    intro = introduction(chapters, profile, lang)
    last = conclusions(chapters, profile, lang, number=len(chapters) + 2)
    fr = Frame(abstract_intro=abstract_intro(chapters, profile, lang))
    if lang == "zh":
        fr.english = english_abstract(chapters, profile)
    return [intro, *chapters, last], fr
