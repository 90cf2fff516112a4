"""Customer-id pseudonyms (C00001, C00002…) shared by the notebook kernel and the report.

A report shows pseudonyms instead of customer ids unless it is built with ``--show-ids``:
in tables, in figures (tick labels, labelled points, legends) and in the raw outputs shown
with ``--show-code``. One numbering serves all of them. :func:`crmlab.notebook.data_ledger`
registers the customers of a run in :func:`registry_order` and records that order with the
ledger; the kernel draws a second, pseudonymised copy of each figure that shows an id, and the
report numbers the ids the same way (ids no ledger registered get the next numbers, in order
of first appearance). The order is a keyed hash of each id, so a pseudonym says nothing about
the id, its size or the customer's first purchase (ids are often issued in that order).

Ids are found by exact match: a label, a table cell or a text that *is* an id. Inside longer
text (a printed line, a legend entry) a token is replaced when it is an id that contains a
letter (``VIP-839201``); a bare number inside running text cannot be told from a count, so
purely numeric ids are replaced only where they stand alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable

#: MIME type of the customer ids registered by a run, in pseudonym order (a JSON list).
IDS_MIME = "application/vnd.crmlab.ids+json"
#: MIME type of a figure's PNG (base64) drawn with pseudonyms instead of customer ids.
PNG_PSEUDO_MIME = "application/vnd.crmlab.png-pseudonymised"

_TOKEN = re.compile(r"[^\s,;:()\[\]{}'\"|=<>/]+")


def pseudonym(n: int) -> str:
    """The ``n``-th pseudonym (1-based): ``C00001``."""
    return f"C{n:05d}"


def registry_order(ids: Iterable) -> list[str]:
    """The distinct ``ids`` (as text) in pseudonym order: sorted by a BLAKE2b hash keyed with
    a digest of the whole id set. Deterministic for a data set, independent of row order, and
    unrelated to the ids' own order; without the full id list the order cannot be redone."""
    distinct = sorted({str(v) for v in ids})
    key = hashlib.sha256("\n".join(distinct).encode("utf-8")).digest()
    return sorted(distinct, key=lambda v: hashlib.blake2b(v.encode("utf-8"), key=key,
                                                          digest_size=16).digest())


class Pseudonyms:
    """Stable pseudonyms: registered ids in registration order, then any other id in order
    of first appearance. ``enabled=False`` (``--show-ids``) returns every value unchanged."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.map: dict[str, str] = {}

    def register(self, ids: Iterable) -> None:
        """Number ``ids`` (in order) after those already known; known ids keep their number."""
        for value in ids:
            key = str(value)
            if key not in self.map:
                self.map[key] = pseudonym(len(self.map) + 1)

    def __call__(self, value) -> str:
        if not self.enabled or value is None:
            return value
        self.register([value])
        return self.map[str(value)]

    def known(self, token: str) -> str | None:
        """The pseudonym of a registered or already seen id, else None."""
        return self.map.get(token)

    def text(self, text: str) -> str:
        """``text`` with the known ids in it replaced (see :func:`replace_ids`)."""
        if not self.enabled or not self.map or not text:
            return text
        return replace_ids(text, self.known)


def replace_ids(text: str, lookup: Callable[[str], str | None]) -> str:
    """``text`` with customer ids replaced; ``lookup(token)`` gives a pseudonym or None.

    The whole (stripped) text is tried first; inside longer text, tokens that contain a
    letter (a trailing full stop is ignored)."""
    whole = text.strip()
    if whole:
        hit = lookup(whole)
        if hit is not None:
            return text.replace(whole, hit)

    def sub(m):
        token = m.group(0)
        if not any(c.isalpha() for c in token):
            return token
        hit = lookup(token)
        if hit is None and token.endswith("."):
            hit = lookup(token.rstrip("."))
            return token if hit is None else hit + token[len(token.rstrip(".")):]
        return token if hit is None else hit

    return _TOKEN.sub(sub, text)


def pseudonymise_figure(fig, lookup: Callable[[str], str | None]) -> bool:
    """Replace customer ids in the text of a matplotlib figure, in place.

    Covers every :class:`~matplotlib.text.Text` (annotations, titles, legend entries, axis
    labels) and the tick labels of categorical axes and of fixed tick labels
    (``set_xticklabels``), which are re-made at each draw. Returns whether an id was found;
    tick labels are checked by drawing the figure once.
    """
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    found = []

    def wrap(old):
        def fmt(x, pos=None):
            label = old(x, pos)
            new = replace_ids(label, lookup) if isinstance(label, str) else label
            if new != label:
                found.append(label)
            return new
        return fmt

    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            old = axis.get_major_formatter()
            if isinstance(old, (FixedFormatter, StrCategoryFormatter)):
                axis.set_major_formatter(FuncFormatter(wrap(old)))
    for text in fig.findobj(Text):
        label = text.get_text()
        new = replace_ids(label, lookup) if label else label
        if new != label:
            text.set_text(new)
            found.append(label)
    if not found:  # tick labels are only formatted when drawn: draw once, small
        import io

        fig.savefig(io.BytesIO(), format="png", dpi=10)
    return bool(found)
