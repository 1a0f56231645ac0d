"""The review sheet: one PNG an artist reads at a glance.

Left, top to bottom: the verdict with each check and its reason; the weight curves of the
active targets with onset (triangle up), apex (dot) and offset (triangle down) marks and the
judged burst shaded; the largest displacement over time per region against the floor and
ceiling; the peak of each region as bars against its limit. Right: the face at the apex,
shaded, from the front and three-quarter, coloured by displacement, with the 68 landmarks
(``rig.shaded``; the flat front picture and a note when no OpenGL renderer is there).
matplotlib (Agg) is imported only here.
"""
from __future__ import annotations

import io
from typing import Optional

import numpy as np

from microexpr.atomicio import write_bytes
from microexpr.review.regions import EXPRESSIVE, RIGID
from microexpr.review.report import Review
from microexpr.rig.presets import face_frame

PASS, FAIL = "#2e8b57", "#c0392b"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def render_sheet(review: Review, rig, title: Optional[str] = None, dpi: int = 110) -> bytes:
    """PNG bytes of the review sheet."""
    plt = _plt()
    from matplotlib.gridspec import GridSpec

    fig = plt.figure(figsize=(15, 9.5))
    gs = GridSpec(4, 3, figure=fig, width_ratios=[1.45, 0.28, 1.0],
                  height_ratios=[0.9, 1.35, 1.0, 1.1], hspace=0.55, wspace=0.04, left=0.095,
                  right=0.95, top=0.95, bottom=0.06)
    _verdict(fig.add_subplot(gs[0, 0:2]), review, title)
    t0, t1 = _window(review)
    curves = fig.add_subplot(gs[1, 0])
    _curves(curves, review, t0, t1)
    _head_pose(curves, review, t0, t1)
    _regions_over_time(fig.add_subplot(gs[2, 0]), review, t0, t1)
    _bars(fig.add_subplot(gs[3, 0]), review)
    _face(fig, fig.add_subplot(gs[:, 2]), review, rig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def write_sheet(path, review: Review, rig, title: Optional[str] = None) -> None:
    write_bytes(path, render_sheet(review, rig, title))


def _window(review: Review):
    """Time range to show: the bursts with a margin (the whole clip if nothing moves)."""
    t = review.measurement.times
    if not review.bursts or len(t) < 2:
        a = float(t[0]) if len(t) else 0.0
        return a, max(float(t[-1]) if len(t) else a, a + 1.0 / review.clip.fps)
    a = min(b.start for b in review.bursts)
    b = max(b.end for b in review.bursts)
    pad = max(0.25 * (b - a), 0.05)
    return max(float(t[0]), a - pad), min(float(t[-1]), b + pad)


def _verdict(ax, review: Review, title: Optional[str]) -> None:
    ax.axis("off")
    ok = review.passed
    head = "PASS" if ok else "FAIL"
    ax.text(0.0, 1.0, head, color=PASS if ok else FAIL, fontsize=22, fontweight="bold",
            va="top", transform=ax.transAxes)
    sub = title or "micro-expression review"
    if review.layered:
        sub += "  (layer on top of the base clip)"
    ax.text(0.12, 0.97, sub, fontsize=11, va="top", transform=ax.transAxes)
    for i, c in enumerate(review.checks):
        y = 0.70 - i * 0.15
        ax.text(0.0, y, "pass" if c.passed else "FAIL", color=PASS if c.passed else FAIL,
                fontsize=9.5, fontweight="bold", transform=ax.transAxes, va="top")
        reason = c.reason if len(c.reason) < 120 else c.reason[:117] + "..."
        ax.text(0.06, y, "%s: %s" % (c.name, reason), fontsize=9.5, transform=ax.transAxes,
                va="top")


def _curves(ax, review: Review, t0: float, t1: float) -> None:
    m = review.measurement
    t = m.times
    tt = sorted(m.target_timing, key=lambda x: -abs(x.peak_weight))[:12]
    colors = _colors(len(tt))
    for c, tg in zip(colors, tt):
        k = m.targets.index(tg.target)
        ax.plot(t, m.layer[:, k], color=c, lw=1.6, label=tg.target)
        y = np.interp([tg.onset, tg.apex, tg.offset], t, m.layer[:, k])
        ax.plot([tg.onset], [y[0]], "^", color=c, ms=7)
        ax.plot([tg.apex], [y[1]], "o", color=c, ms=6)
        ax.plot([tg.offset], [y[2]], "v", color=c, ms=7)
    for b in review.bursts:
        ax.axvspan(b.start, b.end, color="0.9", zorder=0)
    ax.set_xlim(t0, t1)
    ax.set_ylabel("weight" + (" (layer)" if review.layered else ""))
    ax.set_title("target weights:  ^ onset   o apex   v offset   (shaded: the judged span)",
                 fontsize=10, loc="left")
    ax.grid(alpha=0.3)
    if tt:
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.02), frameon=False)
    if len(m.target_timing) > len(tt):
        ax.text(0.01, 0.92, "%d more targets not drawn" % (len(m.target_timing) - len(tt)),
                fontsize=8, transform=ax.transAxes)


def head_pose_track(clip) -> Optional[np.ndarray]:
    """(F, 4) yaw, pitch, roll (degrees), scale of a clip solved in performer mode (NaN where
    the frame had no face), from ``clip.source["head_pose"]``; None for other clips."""
    pose = (clip.source or {}).get("head_pose") if isinstance(clip.source, dict) else None
    if not isinstance(pose, dict) or not pose.get("frames"):
        return None
    rows = [r if isinstance(r, (list, tuple)) and len(r) == 4 else [np.nan] * 4
            for r in pose["frames"]]
    out = np.asarray(rows, dtype=np.float64)
    return out if len(out) == len(clip.weight_array()) else None


def _head_pose(ax, review: Review, t0: float, t1: float) -> None:
    """Head yaw, pitch and roll on a second axis of the weight curves, so a cue that comes
    with a head turn shows as one."""
    pose = head_pose_track(review.clip)
    if pose is None:
        return
    t = review.clip.start_time + np.arange(len(pose)) / review.clip.fps
    twin = ax.twinx()
    for k, (name, style) in enumerate((("yaw", "-"), ("pitch", "--"), ("roll", ":"))):
        twin.plot(t, pose[:, k] - np.nanmedian(pose[:, k]), style, color="0.45", lw=1.0,
                  label="head %s" % name)
    twin.set_xlim(t0, t1)
    twin.set_ylabel("head, deg", fontsize=8, color="0.35", labelpad=1)
    twin.tick_params(labelsize=7, colors="0.35", pad=1)
    twin.legend(fontsize=7, loc="lower left", frameon=False, ncol=3)
    legend = ax.get_legend()
    if legend is not None:                      # the targets' legend moves right of the new axis
        legend.set_bbox_to_anchor((1.075, 1.02))


def _regions_over_time(ax, review: Review, t0: float, t1: float) -> None:
    m = review.measurement
    names = list(m.regions.names) + ["other"]
    shown = [(i, n) for i, n in enumerate(names)
             if m.region_curves[:, i].max() > 0.02 * max(m.curve.max(), 1e-12)]
    for c, (i, n) in zip(_colors(len(shown)), shown):
        style = "--" if m.regions.kinds.get(n) == RIGID else "-"
        ax.plot(m.times, m.region_curves[:, i], style, color=c, lw=1.4, label=n)
    lim = review.limits
    ax.axvline(float(m.times[m.apex_frame]), color="0.5", lw=0.8)
    ax.axhline(lim.ceiling_mm, color=FAIL, lw=1, ls=":")
    ax.axhline(lim.floor_mm, color="0.4", lw=1, ls=":")
    ax.text(t0, lim.ceiling_mm, " ceiling", fontsize=8, color=FAIL, va="bottom", ha="left")
    ax.text(t0, lim.floor_mm, " floor", fontsize=8, color="0.3", va="bottom", ha="left")
    ax.set_xlim(t0, t1)
    ax.set_ylim(0, max(lim.ceiling_mm * 1.1, float(m.curve.max()) * 1.1))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mm")
    ax.set_title("largest displacement per region", fontsize=10, loc="left")
    ax.grid(alpha=0.3)
    if shown:
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.02), frameon=False)


def _bars(ax, review: Review) -> None:
    rows = [r for r in review.regions() if r["kind"] in (EXPRESSIVE, RIGID)]
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        limit = r["limit_mm"]
        bad = (r["peak_mm"] >= limit) if r["kind"] == RIGID else (r["peak_mm"] > limit)
        ax.barh(yi, r["peak_mm"], color=FAIL if bad else (PASS if r["kind"] == EXPRESSIVE
                                                           else "#7f8c8d"), height=0.6)
        ax.plot([limit, limit], [yi - 0.4, yi + 0.4], color="k", lw=2)
        ax.text(r["peak_mm"], yi, "  %.2f" % r["peak_mm"], va="center", fontsize=8)
    ax.axvline(review.limits.floor_mm, color="0.4", ls=":", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(["%s%s" % (r["region"], " (rigid)" if r["kind"] == RIGID else "")
                        for r in rows], fontsize=8.5)
    top = max([r["peak_mm"] for r in rows] + [review.limits.ceiling_mm])
    ax.set_xlim(0, top * 1.25)
    ax.set_xlabel("peak displacement (mm);  black tick: limit;  dotted: readable floor")
    ax.set_title("peak per region", fontsize=10, loc="left")


def _face(fig, ax, review: Review, rig) -> None:
    """The face at the apex, shaded, front and three-quarter, coloured by displacement; the
    flat front picture with a note when no renderer is there."""
    from microexpr.errors import MicroExprError

    val = review.measurement.apex_mm.get(rig.mesh().name, np.zeros(len(rig.mesh().points)))
    vmax = max(float(val.max()) if val.size else 0.0, review.limits.floor_mm)
    try:
        pc = _shaded_face(ax, review, rig, val, vmax)
        views = "front | three-quarter"
    except (MicroExprError, ImportError) as exc:
        pc = _flat_face(ax, rig, val, vmax)
        views = "front"
        ax.text(0.0, -0.01, _fallback_note(exc), fontsize=7.5, color="0.35", ha="left",
                va="top", transform=ax.transAxes)
    m = review.measurement
    t = float(m.times[m.apex_frame]) if len(m.times) else 0.0
    ax.set_title("displacement at the apex (%.3f s)\n%s, subject's right on the left"
                 % (t, views), fontsize=10)
    cb = fig.colorbar(pc, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label("mm")


def _shaded_face(ax, review: Review, rig, val: np.ndarray, vmax: float):
    """Draw the rig's meshes deformed at the apex, lit and coloured by ``val`` (mm, the
    landmark mesh), front and three-quarter side by side, with the 68 landmarks and the
    largest displacement marked; returns the colour mapping for the colorbar. Raises the
    renderer's MicroExprError when there is no OpenGL."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from microexpr.rig.curves import landmark_corners
    from microexpr.rig.shaded import THREE_QUARTER, face_views, shade

    skin = rig.mesh()
    norm = Normalize(0.0, vmax)
    cmap = _plt().get_cmap("YlOrRd")
    pts, tris, cols = _apex_meshes(review, rig, lambda mm: cmap(norm(mm))[:, :3])
    skin_pts = pts[:len(skin.points)]
    verts, bary = landmark_corners(rig)
    keys = np.einsum("lc,lcj->lj", bary, skin_pts[verts])
    v = int(np.argmax(val)) if val.size else 0
    frame, _ = face_frame(rig.neutral_landmarks())
    pics = [shade(pts, tris, cols, view, keys=np.vstack([keys, skin_pts[v:v + 1]]))
            for view in face_views(skin_pts, frame, (0.0, THREE_QUARTER), pixels=_FACE_PIXELS)]
    gap = max(4, pics[0].image.shape[1] // 40)
    ax.imshow(np.concatenate([pics[0].image, np.full((pics[0].image.shape[0], gap, 3), 255,
                                                     np.uint8), pics[1].image], axis=1),
              interpolation="antialiased")
    shift = pics[0].image.shape[1] + gap
    for dx, pic in ((0, pics[0]), (shift, pics[1])):
        lm, seen = pic.keys[:68], pic.seen[:68]
        ax.plot(lm[seen, 0] + dx, lm[seen, 1], ".", color="#1f4e79", ms=2.5)
    if val.size:                                # the label below the chin, off the face
        h = pics[0].image.shape[0]
        ax.annotate("%.2f mm" % val[v], pics[0].keys[68], xytext=(pics[0].keys[68, 0], 1.07 * h),
                    textcoords="data", fontsize=9, ha="center", va="top",
                    arrowprops={"arrowstyle": "->", "lw": 0.8})
        ax.set_ylim(1.09 * h, 0)
    ax.axis("off")
    return ScalarMappable(norm=norm, cmap=cmap)


#: Rendered size (pixels, the larger side of each view): about twice what the sheet shows.
_FACE_PIXELS = 480


def _apex_meshes(review: Review, rig, colour):
    """Every mesh of the rig at the clip's apex frame, landmark mesh first, as one points
    (N, 3), triangles (T, 3) and colours (N, 3) from ``colour(mm)``."""
    from microexpr.rig.build import evaluate

    clip = review.clip
    weights = np.zeros(len(rig.targets))
    names = rig.target_names()
    cw = clip.weight_array()
    f = min(review.measurement.apex_frame, len(cw) - 1)
    for j, t in enumerate(clip.targets):
        if t in names and f >= 0:
            weights[names.index(t)] = cw[f, j]
    first = rig.mesh().name
    pts, tris, cols, n = [], [], [], 0
    for mesh in sorted(rig.meshes, key=lambda m: m.name != first):
        p = evaluate(rig, weights.tolist(), mesh.name)
        mm = review.measurement.apex_mm.get(mesh.name, np.zeros(len(p)))
        pts.append(p)
        tris.append(_triangles(mesh) + n)
        cols.append(colour(np.asarray(mm, dtype=np.float64)))
        n += len(p)
    return np.vstack(pts), np.vstack(tris), np.vstack(cols)


def _fallback_note(exc: BaseException) -> str:
    """One line saying why the face is flat."""
    why = " ".join(str(exc).split())
    why = why if len(why) < 66 else why[:63] + "..."
    return "flat picture, no shaded render: %s" % why


def _flat_face(ax, rig, val: np.ndarray, vmax: float):
    """The neutral mesh seen from the front, Gouraud-coloured by ``val`` (mm): the picture
    when no renderer is there; returns the colour mapping."""
    mesh = rig.mesh()
    pts = np.asarray(mesh.points, dtype=np.float64)
    frame, size = face_frame(rig.neutral_landmarks())
    xy = (pts - pts.mean(axis=0)) @ frame[:2].T / size
    tris = _triangles(mesh)
    pc = ax.tripcolor(xy[:, 0], xy[:, 1], tris, val, shading="gouraud", cmap="YlOrRd",
                      vmin=0.0, vmax=vmax)
    ax.triplot(xy[:, 0], xy[:, 1], tris, color="0.55", lw=0.08, alpha=0.5)
    lm = (rig.neutral_landmarks() - pts.mean(axis=0)) @ frame[:2].T / size
    ax.plot(lm[:, 0], lm[:, 1], ".", color="#1f4e79", ms=3)
    v = int(np.argmax(val))
    ax.annotate("%.2f mm" % val[v], xy[v], xytext=(12, 12), textcoords="offset points",
                fontsize=9, arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.set_aspect("equal")
    ax.axis("off")
    return pc


def _triangles(mesh) -> np.ndarray:
    counts = np.asarray(mesh.face_counts)
    idx = np.asarray(mesh.face_indices)
    if len(counts) and np.all(counts == 3):
        return idx.reshape(-1, 3)
    out, k = [], 0
    for c in counts:
        poly = idx[k:k + c]
        out += [(poly[0], poly[i], poly[i + 1]) for i in range(1, c - 1)]
        k += c
    return np.asarray(out, dtype=np.int64).reshape(-1, 3)


def _colors(n: int):
    plt = _plt()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]
