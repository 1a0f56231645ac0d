"""Render a mesh headless: a lit orthographic picture plus, from the same pass, what lies
under every pixel (triangle, barycentric weights, depth, front or back side).

OpenGL through moderngl, on Mesa's EGL (llvmpipe) on a machine without a display, or the
system's own OpenGL elsewhere (Windows, macOS, Maya). moderngl is imported inside functions
only. Typical use::

    view = front_view(mesh.points, up="+Y", front="+Z", pixels=512)
    frame = render(mesh.points, mesh.triangles(), view)
    frame.image          # (H, W, 3) uint8, the shaded picture
    frame.triangle       # (H, W) int64, the triangle under each pixel, -1 for none

Camera space: x to the picture's right, y up, z toward the viewer; depth grows away from
the viewer. Pixels: x right, y down, pixel (i, j) covers [i, i+1) x [j, j+1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from microexpr.errors import MicroExprError

AXES = {"+X": (1.0, 0.0, 0.0), "-X": (-1.0, 0.0, 0.0), "+Y": (0.0, 1.0, 0.0),
        "-Y": (0.0, -1.0, 0.0), "+Z": (0.0, 0.0, 1.0), "-Z": (0.0, 0.0, -1.0)}
#: How a back face (the inside of a shell) is drawn: flat dark grey, unlit.
BACK_GREY = 0.12
_CONTEXT: dict = {}


def axis(name: str, what: str = "axis") -> np.ndarray:
    """A unit vector from ``X``, ``+Y``, ``-z`` ... (no sign means +)."""
    key = str(name).strip().upper()
    key = key if key[:1] in "+-" else "+" + key
    if key not in AXES:
        raise MicroExprError("%r is not an axis" % (name,), field=what,
                             fix="use one of +X -X +Y -Y +Z -Z (X means +X)")
    return np.array(AXES[key])


@dataclass(frozen=True)
class View:
    """An orthographic camera. ``rotation`` rows are the camera's right, up and back (toward
    the viewer) directions in world space; ``centre`` is the world point at the picture's
    centre; ``width`` the world width the picture covers; ``pixels`` = (width, height)."""

    rotation: np.ndarray
    centre: np.ndarray
    width: float
    pixels: Tuple[int, int]

    @property
    def scale(self) -> float:
        """Pixels per world unit."""
        return self.pixels[0] / float(self.width)

    def to_camera(self, points) -> np.ndarray:
        """(N, 3) world points in camera space, relative to ``centre``."""
        return (np.asarray(points, dtype=np.float64) - self.centre) @ self.rotation.T

    def to_pixels(self, points) -> Tuple[np.ndarray, np.ndarray]:
        """(pixel x, y) (N, 2) and depth (N,) (world units, larger = farther) of points."""
        c = self.to_camera(points)
        w, h = self.pixels
        xy = np.column_stack([w / 2.0 + c[:, 0] * self.scale, h / 2.0 - c[:, 1] * self.scale])
        return xy, -c[:, 2]

    def from_pixels(self, xy, depth) -> np.ndarray:
        """World points at pixels ``xy`` (N, 2) and ``depth`` (N,)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        w, h = self.pixels
        c = np.column_stack([(xy[:, 0] - w / 2.0) / self.scale, (h / 2.0 - xy[:, 1]) / self.scale,
                             -np.asarray(depth, dtype=np.float64).reshape(-1)])
        return c @ self.rotation + self.centre


def turn(up: str = "+Y", front: str = "+Z", yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """Camera rotation looking at the ``front`` side of a head whose top is ``up``, turned
    ``yaw`` degrees about the up axis (positive: the camera moves to the subject's left)
    and ``pitch`` degrees (positive: the camera moves up)."""
    u, f = axis(up, "up"), axis(front, "front")
    if abs(float(u @ f)) > 0.5:
        raise MicroExprError("up %s and front %s are the same axis" % (up, front),
                             field="up/front", fix="give two different axes, e.g. --up Y --front +Z")
    right = np.cross(u, f)          # the picture's right is the subject's left
    base = np.stack([right, u, f])
    a, b = math.radians(yaw), math.radians(pitch)
    ry = np.array([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    return rx @ ry @ base


def front_view(points, up: str = "+Y", front: str = "+Z", yaw: float = 0.0, pitch: float = 0.0,
               pixels: int = 512, margin: float = 0.05, box=None) -> View:
    """A view of ``points`` (or of the world box ``box`` = (lo, hi) corners, in camera
    axes after the turn) framed with ``margin`` (a fraction of the larger side) around it;
    ``pixels`` is the larger side of the picture."""
    rot = turn(up, front, yaw, pitch)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    c = p @ rot.T
    lo, hi = (c.min(axis=0), c.max(axis=0)) if box is None else (np.asarray(box[0], float),
                                                                 np.asarray(box[1], float))
    size = np.maximum(hi - lo, 1e-9)
    side = float(max(size[0], size[1])) * (1.0 + 2.0 * margin)
    if not (side > 0 and math.isfinite(side)):
        raise MicroExprError("the mesh has no extent to frame", field="points",
                             fix="pass a mesh with finite, distinct points")
    wpx = max(8, int(round(pixels * size[0] / max(size[0], size[1]) + 2 * margin * pixels)))
    hpx = max(8, int(round(pixels * size[1] / max(size[0], size[1]) + 2 * margin * pixels)))
    mid = (lo + hi) / 2.0
    mid[2] = 0.0
    width = side * wpx / float(max(wpx, hpx))
    return View(rot, mid @ rot, width, (wpx, hpx))


@dataclass
class Frame:
    """One render. ``image`` (H, W, 3) uint8; ``triangle`` (H, W) int64, -1 where no
    triangle; ``bary`` (H, W, 3) float32 weights of the triangle's corners; ``depth``
    (H, W) float32, inf where empty; ``front`` (H, W) bool, True where the triangle faces
    the camera (its corners counter-clockwise on the picture)."""

    image: np.ndarray
    triangle: np.ndarray
    bary: np.ndarray
    depth: np.ndarray
    front: np.ndarray
    view: "Union[View, PerspectiveView]"

    @property
    def covered(self) -> np.ndarray:
        return self.triangle >= 0

    def surface(self, points, triangles, xy) -> Tuple[np.ndarray, np.ndarray]:
        """World points (K, 3) under pixels ``xy`` (K, 2) and their triangles (K,), -1 and
        NaN where no triangle is."""
        ix, iy = self.pixel_index(xy)
        tri = self.triangle[iy, ix]
        out = np.full((len(tri), 3), np.nan)
        hit = tri >= 0
        t = np.asarray(triangles)[tri[hit]]
        out[hit] = np.einsum("kc,kcd->kd", self.bary[iy[hit], ix[hit]].astype(np.float64),
                             np.asarray(points, dtype=np.float64)[t])
        return out, tri

    def pixel_index(self, xy) -> Tuple[np.ndarray, np.ndarray]:
        """Column and row of the pixels holding ``xy`` (clamped into the picture)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        h, w = self.triangle.shape
        return (np.clip(np.floor(xy[:, 0]).astype(np.int64), 0, w - 1),
                np.clip(np.floor(xy[:, 1]).astype(np.int64), 0, h - 1))


def context():
    """The process's OpenGL context (created once): EGL first (headless), then the
    platform's default."""
    if "ctx" in _CONTEXT:
        return _CONTEXT["ctx"]
    try:
        import moderngl
    except ImportError:
        raise MicroExprError("moderngl is not installed", field="renderer",
                             fix="pip install moderngl (or 'pip install microexpr[markerless]')"
                             ) from None
    errors = []
    ctx = None
    create = getattr(moderngl, "create_standalone_context")
    for backend in ("egl", None):
        try:
            ctx = create(require=330, backend=backend) if backend else create(require=330)
            break
        except Exception as exc:  # noqa: BLE001 - each backend fails in its own way
            errors.append("%s: %s" % (backend or "default", str(exc).strip()[:200]))
    if ctx is None:
        raise MicroExprError("cannot open an OpenGL 3.3 context (%s)" % "; ".join(errors),
                             field="renderer",
                             fix="on Debian/Ubuntu: apt-get install libegl1 libegl-mesa0 "
                                 "libgl1-mesa-dri; elsewhere update the graphics driver")
    _CONTEXT["ctx"] = ctx
    _CONTEXT["program"] = ctx.program(vertex_shader=_VERTEX, fragment_shader=_FRAGMENT)
    return ctx


_VERTEX = """
#version 330
in vec3 in_pos;      // x, y in NDC, z = depth in world units
in vec3 in_normal;   // camera space
in vec3 in_colour;
in vec3 in_bary;
in vec2 in_uv;
uniform vec2 depth_range;
out vec3 v_normal; out vec3 v_colour; out vec3 v_bary; out vec2 v_uv; out float v_depth;
void main() {
    float z = 2.0 * (in_pos.z - depth_range.x) / (depth_range.y - depth_range.x) - 1.0;
    gl_Position = vec4(in_pos.xy, z, 1.0);
    v_normal = in_normal; v_colour = in_colour; v_bary = in_bary; v_uv = in_uv;
    v_depth = in_pos.z;
}
"""

_FRAGMENT = """
#version 330
in vec3 v_normal; in vec3 v_colour; in vec3 v_bary; in vec2 v_uv; in float v_depth;
uniform sampler2D tex;
uniform bool textured;
uniform vec3 key;     // light directions, camera space, toward the light
uniform vec3 fill;
uniform float ambient;
uniform float back_grey;
layout(location = 0) out vec4 colour;
layout(location = 1) out vec4 geometry;
void main() {
    float id = float(gl_PrimitiveID + 1);
    if (!gl_FrontFacing) {
        colour = vec4(vec3(back_grey), 1.0);
        geometry = vec4(v_bary.x, v_bary.y, v_depth, -id);
        return;
    }
    vec3 n = normalize(v_normal);
    if (n.z < 0.0) n = normalize(vec3(n.xy, 0.0) + vec3(0.0, 0.0, 1e-3));
    vec3 albedo = (textured && v_uv.x >= 0.0) ? texture(tex, v_uv).rgb : v_colour;
    float d = max(dot(n, key), 0.0) + 0.35 * max(dot(n, fill), 0.0);
    vec3 h = normalize(key + vec3(0.0, 0.0, 1.0));
    float s = 0.12 * pow(max(dot(n, h), 0.0), 24.0);
    colour = vec4(clamp(albedo * (ambient + (1.0 - ambient) * d) + s, 0.0, 1.0), 1.0);
    geometry = vec4(v_bary.x, v_bary.y, v_depth, id);
}
"""


@dataclass(frozen=True)
class Light:
    """Directions toward the key and fill lights (camera space) and the ambient share."""

    key: Tuple[float, float, float] = (-0.35, 0.55, 1.0)
    fill: Tuple[float, float, float] = (0.6, -0.1, 0.8)
    ambient: float = 0.22


def render(points, triangles, view: View, colours=None, texture=None, uvs=None,
           light: Light = Light(), normals=None) -> Frame:
    """Render triangles (T, 3) of ``points`` (N, 3) seen by ``view``.

    ``colours``: (N, 3) per-vertex albedo, 0-1 floats or uint8 (default light grey);
    ``texture`` (H, W, 3) uint8 with ``uvs`` (N, 2) per vertex or (T, 3, 2) per corner,
    v up (a negative u keeps the corner's colour instead); ``normals`` (N, 3) smooth vertex normals (default: area-weighted)."""
    from microexpr.mesh import vertex_normals

    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    tri = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    if len(tri) >= 2 ** 24:
        raise MicroExprError("%d triangles: the renderer takes up to 16.7 million" % len(tri),
                             field="triangles", fix="decimate the mesh")
    cam = view.to_camera(p)
    nrm = vertex_normals(p, tri) if normals is None else np.asarray(normals, dtype=np.float64)
    ncam = nrm @ view.rotation.T
    w, h = view.pixels
    ndc = np.column_stack([cam[:, 0] * 2.0 / view.width, cam[:, 1] * 2.0 * w / (view.width * h),
                           -cam[:, 2]])
    col = _colours(colours, len(p))
    corner_uv = _corner_uvs(uvs, tri) if texture is not None else np.zeros((len(tri), 3, 2))
    data = np.concatenate([ndc[tri], ncam[tri], col[tri],
                           np.broadcast_to(np.eye(3), (len(tri), 3, 3)), corner_uv], axis=2)
    lo, hi = float(ndc[:, 2].min()), float(ndc[:, 2].max())
    pad = max(hi - lo, 1e-6) * 0.01 + 1e-6
    colour, geometry = _draw(data.astype("f4").reshape(-1, 14), (w, h), (lo - pad, hi + pad),
                             texture, light)
    return _frame(colour, geometry, view)


def _frame(colour: np.ndarray, geometry: np.ndarray, view) -> Frame:
    """The ``Frame`` of a draw: triangle ids (signed: front or back face), barycentrics and
    depth from the geometry buffer."""
    ident = np.rint(geometry[..., 3]).astype(np.int64)
    bary = np.empty(geometry.shape[:2] + (3,), dtype=np.float32)
    bary[..., :2] = geometry[..., :2]
    bary[..., 2] = 1.0 - geometry[..., 0] - geometry[..., 1]
    depth = np.where(ident != 0, geometry[..., 2], np.inf).astype(np.float32)
    return Frame(colour, np.abs(ident) - 1, bary, depth, ident > 0, view)


def _colours(colours, n: int) -> np.ndarray:
    if colours is None:
        return np.full((n, 3), 0.78)
    c = np.asarray(colours)
    scale = 255.0 if c.dtype == np.uint8 else 1.0
    c = c.astype(np.float64).reshape(-1, c.shape[-1])[:, :3] / scale
    if len(c) != n:
        raise MicroExprError("%d colours for %d points" % (len(c), n), field="colours",
                             fix="give one colour per point")
    return c


def _corner_uvs(uvs, tri: np.ndarray) -> np.ndarray:
    if uvs is None:
        raise MicroExprError("a texture needs UVs", field="uvs", fix="pass the mesh's UVs")
    uv = np.asarray(uvs, dtype=np.float64)
    return uv.reshape(len(tri), 3, 2) if uv.ndim == 3 else uv[tri]


def _draw(data: np.ndarray, size: Tuple[int, int], depth_range: Tuple[float, float],
          texture, light: Light, program=None) -> Tuple[np.ndarray, np.ndarray]:
    """One pass into a colour and a geometry target; both read back top row first.
    ``program``: another shader program with the same inputs (default: orthographic)."""
    import moderngl

    ctx = context()
    prog = _CONTEXT["program"] if program is None else program
    w, h = size
    targets = [ctx.texture((w, h), 4, dtype="f1"), ctx.texture((w, h), 4, dtype="f4")]
    depth = ctx.depth_renderbuffer((w, h))
    fbo = ctx.framebuffer(color_attachments=targets, depth_attachment=depth)
    vbo = ctx.buffer(np.ascontiguousarray(data).tobytes())
    layout = [(vbo, "3f 3f 3f 3f 2f", "in_pos", "in_normal", "in_colour", "in_bary", "in_uv")]
    vao = ctx.vertex_array(prog, layout)
    tex = None
    try:
        fbo.use()
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        prog["depth_range"].value = depth_range
        for name, vec in (("key", light.key), ("fill", light.fill)):
            v = np.asarray(vec, dtype=np.float64)
            prog[name].value = tuple(v / np.linalg.norm(v))
        prog["ambient"].value = float(light.ambient)
        prog["back_grey"].value = BACK_GREY
        prog["textured"].value = texture is not None
        if texture is not None:
            img = np.ascontiguousarray(np.asarray(texture, dtype=np.uint8)[::-1, :, :3])
            tex = ctx.texture((img.shape[1], img.shape[0]), 3, img.tobytes())
            tex.build_mipmaps()
            tex.use(0)
            prog["tex"].value = 0
        vao.render(moderngl.TRIANGLES)
        colour = np.frombuffer(targets[0].read(), dtype=np.uint8).reshape(h, w, 4)[::-1, :, :3]
        geometry = np.frombuffer(targets[1].read(), dtype=np.float32).reshape(h, w, 4)[::-1]
    finally:
        for obj in (vao, vbo, fbo, depth, tex, *targets):
            if obj is not None:
                obj.release()
    return np.ascontiguousarray(colour), np.ascontiguousarray(geometry)


def render_mesh(mesh, view: View, colours=None, **kw) -> Frame:
    """:func:`render` for a :class:`microexpr.mesh.Mesh` (polygons fan-triangulated: the
    frame's triangle ids index ``mesh.triangles()``)."""
    return render(mesh.points, mesh.triangles(), view, colours=colours, **kw)


def gray(frame: Frame, background: Optional[int] = None) -> np.ndarray:
    """The picture as 8-bit gray (what the face detector reads); ``background`` fills the
    empty pixels (default: black)."""
    g = (frame.image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
    g = np.clip(np.rint(g), 0, 255).astype(np.uint8)
    if background is not None:
        g[~frame.covered] = background
    return g


# ------------------------------------------------------------------ perspective cameras
@dataclass(frozen=True)
class PerspectiveView:
    """A pinhole camera. ``rotation`` rows are the camera's right, up and back (toward the
    viewer) directions in world space; ``eye`` its world position; ``window`` = (left,
    right, bottom, top): where the picture's edges cross the plane one world unit in front
    of the eye (camera x and y; an off-centre window is a film offset); ``pixels`` =
    (width, height). Depth is the distance along the view axis (larger = farther)."""

    rotation: np.ndarray
    eye: np.ndarray
    window: Tuple[float, float, float, float]
    pixels: Tuple[int, int]

    def to_camera(self, points) -> np.ndarray:
        """(N, 3) world points in camera space, relative to ``eye``."""
        return (np.asarray(points, dtype=np.float64) - self.eye) @ self.rotation.T

    def to_pixels(self, points) -> Tuple[np.ndarray, np.ndarray]:
        """(pixel x, y) (N, 2) and depth (N,) of points; points at or behind the eye get
        NaN pixels."""
        c = self.to_camera(points).reshape(-1, 3)
        depth = -c[:, 2]
        left, right, bottom, top = self.window
        w, h = self.pixels
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(depth > 0, c[:, 0] / depth, np.nan)
            v = np.where(depth > 0, c[:, 1] / depth, np.nan)
        xy = np.column_stack([(u - left) / (right - left) * w, (top - v) / (top - bottom) * h])
        return xy, depth

    def from_pixels(self, xy, depth) -> np.ndarray:
        """World points at pixels ``xy`` (N, 2) and ``depth`` (N,)."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        d = np.asarray(depth, dtype=np.float64).reshape(-1)
        left, right, bottom, top = self.window
        w, h = self.pixels
        u = left + xy[:, 0] / w * (right - left)
        v = top - xy[:, 1] / h * (top - bottom)
        return np.column_stack([u * d, v * d, -d]) @ self.rotation + self.eye


_VERTEX_PERSPECTIVE = """
#version 330
in vec3 in_pos;      // camera x, y and depth (world units)
in vec3 in_normal;   // camera space
in vec3 in_colour;
in vec3 in_bary;
in vec2 in_uv;
uniform vec2 depth_range;   // near, far
uniform vec4 lens;          // x scale, x shift, y scale, y shift (clip = scale * c + shift * depth)
out vec3 v_normal; out vec3 v_colour; out vec3 v_bary; out vec2 v_uv; out float v_depth;
void main() {
    float n = depth_range.x, f = depth_range.y, d = in_pos.z;
    gl_Position = vec4(lens.x * in_pos.x + lens.y * d, lens.z * in_pos.y + lens.w * d,
                       (f + n) / (f - n) * d - 2.0 * f * n / (f - n), d);
    v_normal = in_normal; v_colour = in_colour; v_bary = in_bary; v_uv = in_uv;
    v_depth = d;
}
"""


def render_perspective(points, triangles, view: PerspectiveView, colours=None, texture=None,
                       uvs=None, light: Light = Light(), normals=None) -> Frame:
    """:func:`render` through a :class:`PerspectiveView` (same inputs, same
    :class:`Frame`; attributes are interpolated perspective-correct, so ``bary`` and
    ``depth`` are exact on each triangle). Polygons behind the eye are clipped."""
    from microexpr.mesh import vertex_normals

    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    tri = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    if len(tri) >= 2 ** 24:
        raise MicroExprError("%d triangles: the renderer takes up to 16.7 million" % len(tri),
                             field="triangles", fix="decimate the mesh")
    left, right, bottom, top = (float(v) for v in view.window)
    if not (right > left and top > bottom):
        raise MicroExprError("the camera window %r is empty" % (view.window,), field="window",
                             fix="give left < right and bottom < top")
    cam = view.to_camera(p)
    depth = -cam[:, 2]
    ahead = depth[depth > 0]
    if not len(ahead):
        raise MicroExprError("the whole mesh is behind the camera", field="camera",
                             fix="use the camera the picture was taken with")
    nrm = vertex_normals(p, tri) if normals is None else np.asarray(normals, dtype=np.float64)
    col = _colours(colours, len(p))
    corner_uv = _corner_uvs(uvs, tri) if texture is not None else np.zeros((len(tri), 3, 2))
    pos = np.column_stack([cam[:, 0], cam[:, 1], depth])
    data = np.concatenate([pos[tri], (nrm @ view.rotation.T)[tri], col[tri],
                           np.broadcast_to(np.eye(3), (len(tri), 3, 3)), corner_uv], axis=2)
    far = float(ahead.max()) * 1.01 + 1e-9
    near = max(float(ahead.min()) * 0.99, far * 1e-4)
    ctx = context()
    if "perspective" not in _CONTEXT:
        _CONTEXT["perspective"] = ctx.program(vertex_shader=_VERTEX_PERSPECTIVE,
                                              fragment_shader=_FRAGMENT)
    prog = _CONTEXT["perspective"]
    prog["lens"].value = (2.0 / (right - left), -(right + left) / (right - left),
                          2.0 / (top - bottom), -(top + bottom) / (top - bottom))
    colour, geometry = _draw(data.astype("f4").reshape(-1, 14), view.pixels, (near, far),
                             texture, light, program=prog)
    return _frame(colour, geometry, view)
