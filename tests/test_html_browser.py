"""The self-contained HTML renders the same in a real browser with and without Chinese fonts.

Headless Chromium (Debian's ``chromium``; ``.ci/run`` installs it) loads a small zh page made
by crmlab's assembler, once under a fontconfig that knows no CJK font (only DejaVu) and once
under one that also has the mplfonts Noto CJK fonts. With the embedded WOFF2 subsets both
screenshots are the same pixel for pixel and the page logs no console error; without them
(the control) the two differ, so the comparison can fail.

The browser is driven through the DevTools protocol (``websocket-client``): the screenshot is
taken after the load event and ``document.fonts.ready``, which the ``--screenshot`` flag does
not wait for.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from crmlab.plots import font_files
from crmlab.report import assemble as asm
from crmlab.report.fonts import STYLE_ID, page_chars, strip_embedded_fonts
from crmlab.report.profiles import load_profile

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--force-device-scale-factor=1", "--remote-debugging-port=0"]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, ("Chromium is needed for the browser test: apt-get install -y chromium "
                 "(.ci/run installs it when missing)")
    return exe


def small_zh_page(*, embed_fonts: bool = True) -> str:
    """A one-chapter zh thesis from the assembler: headings, narrative, a table with ids,
    a finding, a code block with a Chinese comment, the cover, contents and appendix."""
    ch = asm.Chapter(name="01_demo", number=1)
    ch.blocks = [
        ("markdown", "# 客户价值概览\n\n本章考察客户消费的集中度，数据来自 CDNOW（1997–1998）。"
                     "\n\n## 数据与方法\n\n中文叙述段落，含英文 RFM 与数字 23,570；**加粗**。"),
        ("table", {"key": "top", "caption": "消费最高的客户",
                   "payload": {"columns": ["客户编号", "金额", "分群"], "index": [0, 1],
                               "index_names": [None], "show_index": False,
                               "data": [["A-1", 12.5, "重要价值"], ["B-2", 30000.25, "一般保持"]],
                               "id_columns": ["客户编号"], "n_rows": 2}}),
        ("finding", {"text": {"zh": "前20%的客户贡献了60.1%的消费额。"}}),
        ("code", "share = top.sum() / total  # 前两成客户的份额"),
    ]
    prof = load_profile({"name": "demo", "title": {"zh": "基于客户价值的测试报告", "en": "T"},
                         "author": {"zh": "测试作者", "en": "A"},
                         "institution": {"zh": "测试大学", "en": "U"}, "date": "2026",
                         "chapters": {"01_demo": {}}})
    return asm.assemble([ch], profile=prof, lang="zh", bib={},
                        built_at=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc),
                        embed_fonts=embed_fonts)


def fontconfig(folder: Path, name: str, dirs: list[Path]) -> Path:
    conf = folder / f"{name}.conf"
    cache = folder / f"{name}-cache"
    cache.mkdir()
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                    "<fontconfig>\n" + "".join(f"  <dir>{d}</dir>\n" for d in dirs)
                    + f"  <cachedir>{cache}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    return conf


class Browser:
    """One headless Chromium under a given fontconfig, driven over the DevTools protocol."""

    def __init__(self, fonts_conf: Path, workdir: Path):
        profile = Path(tempfile.mkdtemp(dir=workdir, prefix="chromium-profile-"))
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf)}
        self.proc = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                      "about:blank"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.ws = None
        self._id = 0
        self.events: list[dict] = []
        port = None
        deadline = time.monotonic() + 120
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            self.close()
            raise AssertionError("Chromium did not start its DevTools endpoint")
        # Keep reading stderr so that Chromium never blocks on a full pipe.
        import threading

        threading.Thread(target=self.proc.stderr.read, daemon=True).start()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        import websocket

        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=120,
                                              suppress_origin=True)

    def call(self, method: str, **params) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                assert "error" not in msg, f"{method}: {msg['error']}"
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 120) -> dict:
        for i, msg in enumerate(self.events):
            if msg.get("method") == event:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == event:
                return msg
            self.events.append(msg)
        raise AssertionError(f"no {event} within {timeout} s")

    def render(self, page: Path, width: int = 900) -> tuple[np.ndarray, list[str], dict]:
        """Screenshot of the whole page (RGB array), console errors, and the embedded
        font faces' load status."""
        from PIL import Image

        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=1200,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=page.as_uri())
        self.wait_for("Page.loadEventFired")
        status = self.call("Runtime.evaluate", awaitPromise=True, returnByValue=True,
                           expression="document.fonts.ready.then(() => Object.fromEntries("
                                      "[...document.fonts].map(f => [f.family, f.status])))")
        self.call("Runtime.evaluate", awaitPromise=True, expression=(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"))
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width,
                               "height": int(size["height"]), "scale": 1})
        import base64

        image = np.asarray(Image.open(io.BytesIO(base64.b64decode(shot["data"])))
                           .convert("RGB"))
        errors = []
        for msg in self.events:
            p = msg.get("params", {})
            if msg.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
                errors.append(" ".join(str(a.get("value", a.get("description")))
                                       for a in p.get("args", [])))
            elif msg.get("method") == "Runtime.exceptionThrown":
                errors.append(p["exceptionDetails"].get("text", "exception"))
            elif (msg.get("method") == "Log.entryAdded"
                  and p["entry"].get("level") in ("error", "warning")):
                errors.append(p["entry"].get("text", ""))
        return image, errors, status["result"].get("value") or {}

    def close(self):
        if self.ws is not None:
            self.ws.close()
        self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    embedded = small_zh_page()
    (root / "embedded.html").write_text(embedded, encoding="utf-8")
    (root / "plain.html").write_text(strip_embedded_fonts(embedded), encoding="utf-8")
    (root / "console.html").write_text(
        strip_embedded_fonts(embedded).replace(
            "</body>", "<script>console.error('deliberate console error')</script></body>"),
        encoding="utf-8")
    assert DEJAVU.is_dir(), "the test fontconfig uses Debian's fonts-dejavu-core"
    confs = {"no-cjk": fontconfig(root, "no-cjk", [DEJAVU]),
             "cjk": fontconfig(root, "cjk", [DEJAVU, font_files()["sans"].parent])}
    out = {}
    for name, conf in confs.items():
        browser = Browser(conf, root)
        try:
            for page in ("embedded", "plain", "console"):
                browser.events.clear()
                out[name, page] = browser.render(root / f"{page}.html")
        finally:
            browser.close()
    return out


def test_embedded_page_looks_the_same_with_and_without_chinese_system_fonts(pages):
    without, errors_without, faces = pages["no-cjk", "embedded"]
    with_cjk, errors_with, _ = pages["cjk", "embedded"]
    assert faces == {"CrmlabSerif": "loaded", "CrmlabSans": "loaded"}
    assert without.shape == with_cjk.shape
    differing = int((without != with_cjk).any(axis=2).sum())
    assert differing == 0, f"{differing} pixels differ"
    assert errors_without == [] and errors_with == []
    # the page is not blank: text is drawn (dark pixels) well down the page
    dark_rows = np.nonzero((without.min(axis=2) < 100).any(axis=1))[0]
    assert len(dark_rows) > 200 and dark_rows.max() > 1000


def test_without_embedded_fonts_the_page_depends_on_the_system(pages):
    """The control: the same page with the font block removed renders differently (boxes
    instead of Chinese) without CJK system fonts, so the comparison above can fail."""
    without, _, faces = pages["no-cjk", "plain"]
    with_cjk, _, _ = pages["cjk", "plain"]
    assert faces == {}
    differing = int((without != with_cjk).any(axis=2).sum()) if without.shape == with_cjk.shape \
        else without.size
    assert differing > 1000


def test_console_errors_are_caught(pages):
    """The console check is live: a page that logs an error is reported."""
    _, errors, _ = pages["no-cjk", "console"]
    assert any("deliberate console error" in e for e in errors)


def test_page_subsets_hold_the_page_text_and_stay_small():
    page = small_zh_page()
    chars = page_chars(page)
    assert {"客", "值", "概", "览"} <= chars["serif"]
    assert {"客", "概", "览", "录"} <= chars["sans"]  # headings and the contents are sans
    assert "众" not in chars["serif"]  # not on the page: not embedded
    block = re.search(rf'<style id="{STYLE_ID}">(.*?)</style>', page, re.S).group(1)
    assert block.count("@font-face") == 2 and "format('woff2')" in block
    # about 0.5 kB of base64 WOFF2 per glyph (CJK outlines); whole fonts would be 36 MB
    glyphs = len(chars["serif"]) + len(chars["sans"])
    assert len(block) < 1000 * glyphs and len(block) < 1_500_000
    assert small_zh_page() == page  # deterministic (and cached)


def test_page_subset_cache_keeps_the_newest(tmp_path):
    from crmlab.report.fonts import _prune

    for i in range(5):
        f = tmp_path / f"page-sans-{i}.woff2"
        f.write_bytes(b"x")
        os.utime(f, (1000 + i, 1000 + i))
    (tmp_path / "NotoSansCJKsc-Regular-1-lite.otf").write_bytes(b"lite")  # never pruned
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "NotoSansCJKsc-Regular-1-lite.otf", "page-sans-3.woff2", "page-sans-4.woff2"]
