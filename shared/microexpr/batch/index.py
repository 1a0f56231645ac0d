"""``DIR/index.html`` and ``DIR/summary.json``: one row per take, written at the end of a batch.

A row has the take's status (done, skipped because it was done before, or failed with its
error), its review checks, a thumbnail of its review sheet linking to the full sheet, and
links to its files. Links are relative, so the folder can be moved or served as it is. A
short script marks a thumbnail that does not load ("thumbnail missing").
"""
from __future__ import annotations

import html
import json
import os
from typing import Any, Dict, List
from urllib.parse import quote

from microexpr.atomicio import write_text

INDEX = "index.html"
SUMMARY = "summary.json"

#: marks each thumbnail that loaded (data-loaded="yes"), names the missing ones on the page,
#: and counts them on <body data-missing-thumbnails>
_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.querySelectorAll("img.thumb"), missing = 0;
  for (var i = 0; i < imgs.length; i++) {
    var ok = imgs[i].complete && imgs[i].naturalWidth > 0;
    imgs[i].setAttribute("data-loaded", ok ? "yes" : "no");
    if (!ok) {
      missing++;
      imgs[i].insertAdjacentText("afterend", "thumbnail missing");
    }
  }
  document.body.setAttribute("data-missing-thumbnails", String(missing));
});
"""

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
.done, .skipped { color: #176b2c; } .failed { color: #a61b1b; }
td.failed > b { font-weight: bold; }
.pass { color: #176b2c; } .fail { color: #a61b1b; }
ul.checks { list-style: none; margin: 0; padding: 0; }
img.thumb { width: 240px; border: 1px solid #ccc; }
.error { color: #a61b1b; max-width: 40em; }
"""


def _href(name: str, file: str) -> str:
    return quote("%s/%s" % (name, file))


def _checks(take: Dict[str, Any]) -> str:
    checks = take.get("checks") or []
    if not checks:
        return "&ndash;"
    items = ["<li class='%s' title='%s'>%s %s</li>" % (
        "pass" if c["passed"] else "fail", html.escape(str(c.get("reason", "")), quote=True),
        "&#10003;" if c["passed"] else "&#10007;", html.escape(c["name"])) for c in checks]
    return "<ul class='checks'>%s</ul>" % "".join(items)


def _sheet(take: Dict[str, Any]) -> str:
    out = take.get("outputs") or {}
    if "thumb" not in out or "sheet" not in out:
        return "&ndash;"
    name = take["name"]
    return "<a href='%s'><img class='thumb' src='%s' alt='review sheet of %s'></a>" % (
        _href(name, out["sheet"]), _href(name, out["thumb"]), html.escape(name, quote=True))


def _files(take: Dict[str, Any]) -> str:
    links = ["<a href='%s'>%s</a>" % (_href(take["name"], f), html.escape(label))
             for label, f in sorted((take.get("outputs") or {}).items()) if label != "thumb"]
    return " &middot; ".join(links) or "&ndash;"


def _row(take: Dict[str, Any]) -> str:
    status = take["status"]
    passed = take.get("passed")
    verdict = ("" if passed is None else " <span class='pass'>review PASS</span>" if passed
               else " <span class='fail'>review FAIL</span>")
    error = ("<div class='error'>%s</div>" % html.escape(take["error"])) if take.get("error") else ""
    return ("<tr class='take' data-take='{n}' data-status='{s}'><td>{n}<br><small>{i}</small></td>"
            "<td class='{s}'><b>{sl}</b>{v}{e}</td><td>{f}</td><td>{c}</td><td>{sh}</td><td>{fl}</td></tr>"
            ).format(n=html.escape(take["name"], quote=True), s=status,
                     sl="done (earlier run)" if status == "skipped" else status, v=verdict, e=error,
                     i=html.escape(os.path.basename(take.get("input") or "")),
                     f=take.get("frames") or 0, c=_checks(take), sh=_sheet(take), fl=_files(take))


def render_index(summary: Dict[str, Any]) -> str:
    """The page for a summary (see :func:`write_summary`)."""
    head = ("%d take(s): %d done, %d skipped (done before), %d failed; %d frames at %.0f frames/s "
            "over %.1f s on %s") % (
        summary["jobs"], summary["done"], summary["skipped"], summary["failed"], summary["frames"],
        summary["frames_per_second"], summary["seconds"], summary["engine"])
    rows = "\n".join(_row(t) for t in summary["takes"])
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>MicroExpr batch</title><style>%s</style></head><body>\n"
            "<h1>MicroExpr batch</h1>\n<p id='summary'>%s</p>\n"
            "<table id='takes'><thead><tr><th>Take</th><th>Status</th><th>Frames</th>"
            "<th>Review checks</th><th>Review sheet</th><th>Files</th></tr></thead><tbody>\n"
            "%s\n</tbody></table>\n<script>%s</script>\n</body></html>\n") % (
                _STYLE, html.escape(head), rows, _SCRIPT)


def write_summary(out_dir: str, summary: Dict[str, Any]) -> List[str]:
    """Write ``summary.json`` and ``index.html`` (each atomically); returns their paths."""
    paths = [os.path.join(out_dir, SUMMARY), os.path.join(out_dir, INDEX)]
    write_text(paths[0], json.dumps(summary, indent=1, default=str) + "\n")
    write_text(paths[1], render_index(summary))
    return paths
