"""The bibliography: load ``data/references.yml`` and format entries as GB/T 7714 or APA.

Chinese reports use GB/T 7714-2015 (sequential numbering, ``[1]`` in the text, family names in
capitals, up to three authors then "et al."/"等"). English reports use APA 7 (author–year in the
text, references sorted by author). Formatting returns plain text pieces; the caller escapes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import BuildError

_PAGE_DASH = re.compile(r"\s*-+\s*")


@dataclass(frozen=True)
class Entry:
    key: str
    fields: dict

    def __getitem__(self, name):
        return self.fields.get(name)

    @property
    def authors(self) -> list[tuple[str, str]]:
        """(family, given) pairs; a suffix such as "Jr." stays with the given names."""
        out = []
        for raw in self.fields.get("authors") or []:
            family, _, given = str(raw).partition(",")
            out.append((family.strip(), given.strip()))
        return out


def load(path: str | Path) -> dict[str, Entry]:
    """Read a YAML bibliography (a list of entries with a ``key``) in file order."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise BuildError(f"{path}: cannot read the bibliography ({exc}).") from None
    out: dict[str, Entry] = {}
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or "key" not in item or "title" not in item:
            raise BuildError(f"{path}: entry {i} needs at least `key` and `title`.")
        out[str(item["key"])] = Entry(str(item["key"]), dict(item))
    return out


def _initials(given: str, *, dots: bool) -> str:
    parts = []
    suffix = ""
    for token in re.split(r"[\s]+", given.replace(",", " ")):
        if not token:
            continue
        if token.rstrip(".") in ("Jr", "Sr", "II", "III"):
            suffix = token if token.endswith(".") or token in ("II", "III") else token + "."
            continue
        pieces = [p for p in token.split("-") if p]
        if dots:
            parts.append("-".join(p[0].upper() + "." for p in pieces))
        else:
            parts.append("".join(p[0].upper() for p in pieces))
    return " ".join(parts), suffix


def _ordinal(n) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _pages(entry: Entry, dash: str) -> str:
    return _PAGE_DASH.sub(dash, str(entry["pages"])) if entry["pages"] else ""


def gbt7714(entry: Entry) -> str:
    """Format one entry in GB/T 7714-2015 style (without the leading ``[n]``)."""
    names = []
    for family, given in entry.authors[:3]:
        initials, _ = _initials(given, dots=False)
        names.append(f"{family.upper()} {initials}".strip())
    author = ", ".join(names)
    if len(entry.authors) > 3:
        author += ", et al"
    kind = entry["type"] or "article"
    title = entry["title_zh"] or entry["title"]
    if kind == "book":
        edition = f" {_ordinal(entry['edition'])} ed." if entry["edition"] else ""
        place = f"{entry['address']}: " if entry["address"] else ""
        text = f"{author}. {title}[M].{edition} {place}{entry['publisher']}, {entry['year']}."
    elif kind == "inproceedings":
        pages = f": {_pages(entry, '-')}" if entry["pages"] else ""
        place = f"{entry['address']}: " if entry["address"] else ""
        text = (f"{author}. {title}[C]//{entry['booktitle']}. {place}{entry['publisher']}, "
                f"{entry['year']}{pages}.")
    else:
        vol = f", {entry['volume']}" if entry["volume"] else ""
        issue = f"({entry['issue']})" if entry["issue"] else ""
        pages = f": {_pages(entry, '-')}" if entry["pages"] else ""
        text = f"{author}. {title}[J]. {entry['journal']}, {entry['year']}{vol}{issue}{pages}."
    if entry["doi"]:
        text += f" DOI: {entry['doi']}."
    return text


def apa(entry: Entry) -> str:
    """Format one entry in APA 7 style (italics marked with ``*...*``)."""
    names = []
    for family, given in entry.authors:
        initials, suffix = _initials(given, dots=True)
        names.append(f"{family}, {initials}" + (f", {suffix}" if suffix else ""))
    if len(names) == 1:
        author = names[0]
    elif len(names) <= 20:
        author = ", ".join(names[:-1]) + ", & " + names[-1]
    else:
        author = ", ".join(names[:19]) + ", . . . " + names[-1]
    kind = entry["type"] or "article"
    title = str(entry["title"])
    if kind == "book":
        edition = f" ({_ordinal(entry['edition'])} ed.)" if entry["edition"] else ""
        text = f"{author} ({entry['year']}). *{title}*{edition}. {entry['publisher']}."
    elif kind == "inproceedings":
        pages = f" (pp. {_pages(entry, '–')})" if entry["pages"] else ""
        text = (f"{author} ({entry['year']}). {title}. In *{entry['booktitle']}*{pages}. "
                f"{entry['publisher']}.")
    else:
        vol = f", {entry['volume']}" if entry["volume"] else ""
        issue = f"({entry['issue']})" if entry["issue"] else ""
        pages = f", {_pages(entry, '–')}" if entry["pages"] else ""
        text = f"{author} ({entry['year']}). {title}. *{entry['journal']}{vol}*{issue}{pages}."
    if entry["doi"]:
        text += f" https://doi.org/{entry['doi']}"
    return text


def cite_author_year(entry: Entry) -> str:
    """APA in-text form: (Fader & Hardie, 2007), (Fader et al., 2005)."""
    fam = [f for f, _ in entry.authors]
    if len(fam) == 1:
        who = fam[0]
    elif len(fam) == 2:
        who = f"{fam[0]} & {fam[1]}"
    else:
        who = f"{fam[0]} et al."
    return f"{who}, {entry['year']}"


def to_html(text: str) -> str:
    """Escape a formatted reference and turn ``*...*`` into ``<em>``."""
    escaped = html.escape(text)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", escaped)


def ordered(entries: dict[str, Entry], cited: list[str], lang: str) -> list[Entry]:
    """The reference list: GB/T (zh) in order of first citation, then the uncited entries in
    file order; APA (en) alphabetical by first author, then year."""
    seen = list(dict.fromkeys(k for k in cited if k in entries))
    rest = [k for k in entries if k not in seen]
    if lang == "zh":
        return [entries[k] for k in seen + rest]
    return sorted(entries.values(),
                  key=lambda e: ([f.lower() for f, _ in e.authors], str(e["year"]), e.key))
