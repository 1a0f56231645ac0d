"""A clip written a chunk of frames at a time, for takes too long to hold in memory.

``ClipStream(path, targets)`` takes weights, validity and (optionally) head poses with ``add``
as the solver produces them and spools them to temporary files; ``finish(**fields)`` checks
the clip's other fields with the ``Clip`` model and writes the file atomically by streaming
copies of the spools, so memory stays flat in the frame count. The file is byte for byte what
``bridge.save_clip`` writes for the same clip, in every format (``io.FORMATS``).

The header's size must be known before the header is written: the document is dumped with a
sentinel string where an array (or the head-pose list) goes, cut there, and the spooled text
(or payload) is streamed in between.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
from pydantic import ValidationError

from microexpr import atomicio
from microexpr.bridge import container, io, payload
from microexpr.bridge.models import Clip
from microexpr.bridge.validate import describe

#: The head-pose columns ``solve`` reports per frame (``source["head_pose"]``).
POSE_COLUMNS = ("yaw_deg", "pitch_deg", "roll_deg", "scale")
#: Rows turned into text at a time (bounds the Python objects a chunk makes).
_BLOCK = 1024
_COPY = 1 << 20
PathLike = Union[str, "os.PathLike[str]"]


class _Spool:
    """A temporary file gathering one array's bytes or JSON items; gone once closed."""

    def __init__(self, folder: Optional[str]) -> None:
        try:
            self.file: IO[bytes] = tempfile.TemporaryFile(dir=folder)
        except OSError:
            self.file = tempfile.TemporaryFile()
        self.size = 0

    def write(self, data: Union[bytes, np.ndarray]) -> None:
        raw = (np.ascontiguousarray(data).reshape(-1).view(np.uint8).data
               if isinstance(data, np.ndarray) else memoryview(data))
        self.file.write(raw)
        self.size += raw.nbytes

    def items(self, text: str) -> None:
        """Append JSON items (``a,b``), comma-separated from those already there."""
        if text:
            self.write((b"," if self.size else b"") + text.encode("ascii"))

    def copy_to(self, out: IO[bytes]) -> None:
        self.file.flush()
        self.file.seek(0)
        shutil.copyfileobj(self.file, out, _COPY)
        self.file.seek(0, os.SEEK_END)

    def blocks(self, size: int) -> Iterator[bytes]:
        self.file.flush()
        self.file.seek(0)
        try:
            while True:
                data = self.file.read(size)
                if not data:
                    return
                yield data
        finally:
            self.file.seek(0, os.SEEK_END)

    def close(self) -> None:
        self.file.close()


Piece = Union[bytes, _Spool]


class ClipStream:
    """A clip written a chunk of frames at a time: ``add`` chunks, then ``finish`` with the
    other fields; as a context manager (or with ``close``) the spools are removed, and a stream
    closed without ``finish`` writes nothing."""

    def __init__(self, path: PathLike, targets: Sequence[str], fmt: Optional[str] = None) -> None:
        self.path = os.fspath(path)
        self.fmt = io.format_for(self.path, fmt)
        self.targets = list(targets)
        self.frames = 0
        folder = os.path.dirname(os.path.abspath(self.path))
        self._folder: Optional[str] = folder if os.path.isdir(folder) else None
        self._spools: Dict[str, _Spool] = {}
        self._posed: Optional[bool] = None
        self._source: Optional[Dict[str, Any]] = None
        self._sentinel = "@@microexpr-clip-stream:%s:" % uuid.uuid4().hex
        self._closed = False

    # -- frames --------------------------------------------------------------------------------
    def add(self, weights: np.ndarray, valid: np.ndarray, pose: Optional[np.ndarray] = None) -> None:
        """Append ``weights`` (n, targets) finite within 0-1, ``valid`` (n,) and ``pose`` (n, 4)
        or None (a NaN row: no pose that frame). A refused chunk adds nothing."""
        self._check_open()
        if self._source is not None:
            raise RuntimeError("the clip stream is already finished")
        w, v = self._checked(weights, valid)
        rows = self._pose_rows(pose, len(w))
        if self.fmt == "json":
            for lo in range(0, len(w), _BLOCK):
                self._spool("weights").items(_items(w[lo:lo + _BLOCK].tolist()))
                self._spool("valid").items(_items(v[lo:lo + _BLOCK].tolist()))
        else:
            self._spool("weights").write(np.ascontiguousarray(w, dtype=_stored_dtype("weights")))
            self._spool("valid").write(np.ascontiguousarray(v, dtype=_stored_dtype("valid")))
        if rows is not None:
            self._spool("pose_bin").write(np.ascontiguousarray(rows, dtype="<f8"))
            for lo in range(0, len(rows), _BLOCK):
                self._spool("pose").items(_items(_pose_list(rows[lo:lo + _BLOCK])))
        self.frames += len(w)

    def _checked(self, weights: Any, valid: Any) -> Tuple[np.ndarray, np.ndarray]:
        """The chunk checked by the Clip model's own array rules (with stand-in metadata)."""
        names = ["t%d" % i for i in range(len(self.targets))]
        try:
            clip = Clip.model_validate({"fps": 30.0, "targets": names, "weights": weights,
                                        "valid": valid})
        except ValidationError as exc:
            field, problem, _ = describe(exc.errors()[0])
            raise ValueError("frames %d+: %s: %s" % (self.frames, field, problem)) from None
        return clip.weights, clip.valid

    def _pose_rows(self, pose: Any, n: int) -> Optional[np.ndarray]:
        """``pose`` rounded as ``solve`` reports it, NaN rows where there is none."""
        posed = pose is not None
        if self._posed is not None and posed != self._posed:
            raise ValueError("frames %d+: pose given with some chunks and not others: give it "
                             "with every chunk or with none" % self.frames)
        self._posed = posed
        if pose is None:
            return None
        p = np.asarray(pose)
        if p.dtype.kind not in "iuf" or p.shape != (n, len(POSE_COLUMNS)):
            raise ValueError("frames %d+: pose must be (%d, %d) numbers, got %s %s"
                             % (self.frames, n, len(POSE_COLUMNS), list(p.shape), p.dtype))
        p = p.astype(np.float64)
        has = np.isfinite(p[:, 0])
        broken = has & ~np.isfinite(p).all(axis=1)
        if broken.any():
            raise ValueError("frames %d+: pose row %d is partly NaN or infinite: a frame "
                             "without pose is a row of NaN" % (self.frames, int(np.argmax(broken))))
        return rounded_pose(p)

    def _spool(self, name: str) -> _Spool:
        spool = self._spools.get(name)
        if spool is None:
            spool = self._spools[name] = _Spool(self._folder)
        return spool

    # -- writing -------------------------------------------------------------------------------
    def finish(self, **fields: Any) -> List[str]:
        """Check ``fields`` (every other Clip field) with the Clip model, then write the clip
        atomically (joining an ``atomicio.transaction``); returns the files written, as
        ``bridge.save_clip``. ``targets`` may be given again (the same). With poses added, ``source["head_pose"]`` is spliced in (at the
        place of a ``head_pose`` key already there, else last)."""
        self._check_open()
        if self._source is not None:
            raise RuntimeError("the clip stream is already finished")
        if "targets" in fields and list(fields.pop("targets")) != self.targets:
            raise ValueError("finish() got other targets than the stream was made with")
        given = sorted(set(fields) & {"weights", "valid"})
        if given:
            raise TypeError("finish() takes the clip's other fields, not %s" % ", ".join(given))
        source = fields.get("source", {})
        if self._posed and isinstance(source, dict):
            fields["source"] = dict(source, head_pose={"columns": list(POSE_COLUMNS),
                                                       "frames": self._mark("pose")})
        clip = Clip(targets=self.targets, weights=np.zeros((1, len(self.targets))),
                    valid=np.ones(1, dtype=bool), **fields)
        files = self._write_json(clip) if self.fmt == "json" else self._write_container(clip)
        self._source = clip.source
        for name in ("weights", "valid"):
            spool = self._spools.pop(name, None)
            if spool is not None:
                spool.close()
        return files

    def _mark(self, name: str) -> str:
        return self._sentinel + name

    def _splice(self, text: bytes, names: Sequence[str]) -> List[Piece]:
        """``text`` cut at each named sentinel, the spooled items in brackets in its place."""
        cuts = []
        for name in names:
            quoted = json.dumps(self._mark(name)).encode("ascii")
            if text.count(quoted) != 1:
                raise RuntimeError("the clip stream's marker for %s is not in the header once" % name)
            cuts.append((text.index(quoted), len(quoted), self._spool(name)))
        pieces: List[Piece] = []
        pos = 0
        for at, length, spool in sorted(cuts, key=lambda c: c[0]):
            pieces += [text[pos:at] + b"[", spool, b"]"]
            pos = at + length
        pieces.append(text[pos:])
        return pieces

    def _write_json(self, clip: Clip) -> List[str]:
        doc = clip.model_dump(mode="json")
        doc["weights"], doc["valid"] = self._mark("weights"), self._mark("valid")
        names = ["weights", "valid"] + (["pose"] if self._posed else [])
        pieces = self._splice(io.dumps_document(doc).encode("utf-8"), names)
        with atomicio.atomic_open(self.path, "wb") as f:
            _write(f, pieces)
        return [self.path]

    def _write_container(self, clip: Clip) -> List[str]:
        doc = clip.model_dump(mode="json")
        views = {"weights": np.broadcast_to(np.zeros((), np.float64), (self.frames, len(self.targets))),
                 "valid": np.broadcast_to(np.zeros((), bool), (self.frames,))}
        doc.update(views)                       # shapes without data: the layout reads none
        header, stored = container.layout(payload.split_clip(doc))
        by_id = {id(view): self._spool(name) for name, view in views.items()}
        parts = [(by_id[id(s.array)], container.padded_size(s)) for s in stored]
        size = sum(padded for _, padded in parts)
        external = self.fmt == "microexpr-bin" and size > 0
        files = []
        with atomicio.transaction():
            if external:
                bin_path = container.external(self.path, header)
                with atomicio.atomic_open(bin_path, "wb") as f:
                    _write_payload(f, parts)
                files.append(bin_path)
            pieces = self._splice(container.header_text(header), ["pose"] if self._posed else [])
            text_size = sum(len(p) if isinstance(p, bytes) else p.size for p in pieces)
            with atomicio.atomic_open(self.path, "wb") as f:
                f.write(container.lead(text_size, 0 if external else size))
                _write(f, pieces)
                f.write(container.text_padding(text_size))
                if size and not external:
                    f.write(container.bin_chunk(size))
                    _write_payload(f, parts)
            files.append(self.path)
        return files

    def write_source(self, path: PathLike, indent: Optional[int] = 1) -> None:
        """After ``finish``: the clip's source (head pose spliced in) as JSON, as
        ``json.dumps(source, indent=indent, default=str)`` writes it, atomically."""
        self._check_open()
        if self._source is None:
            raise RuntimeError("write_source() comes after finish()")
        text = json.dumps(self._source, indent=indent, default=str)
        with atomicio.atomic_open(path, "w") as f:
            if not self._posed:
                f.write(text)
                return
            before, after = text.split(json.dumps(self._mark("pose")))
            prefix = before[before.rfind("\n") + 1:]
            prefix = prefix[:len(prefix) - len(prefix.lstrip(" "))]
            f.write(before)
            for part in _pose_text(self._spool("pose_bin"), indent, prefix):
                f.write(part)
            f.write(after)

    # -- life ----------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the clip stream is closed")

    def close(self) -> None:
        """Remove the spools (nothing is written unless ``finish`` was)."""
        self._closed = True
        while self._spools:
            self._spools.popitem()[1].close()

    def __enter__(self) -> "ClipStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _stored_dtype(field: str) -> str:
    return container.DTYPES[payload.CLIP[field][0]]


def _items(values: List[Any]) -> str:
    """JSON list items as the bridge writes them, without the brackets."""
    return json.dumps(values, separators=(",", ":"), allow_nan=False)[1:-1]


def rounded_pose(pose: np.ndarray) -> np.ndarray:
    """Head pose rows (F, 4) as a solved clip stores them: 4 decimals, NaN rows where the
    frame had no face."""
    p = np.asarray(pose, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    has = np.isfinite(p[:, 0])
    if has.any():
        out[has] = [[round(float(x), 4) for x in row] for row in p[has]]
    return out


def pose_frames(pose: np.ndarray) -> List[Optional[List[float]]]:
    """``source["head_pose"]["frames"]`` of a solved clip: rounded rows, None without a face."""
    return _pose_list(rounded_pose(pose))


def _pose_list(rows: np.ndarray) -> List[Optional[List[float]]]:
    return [None if np.isnan(r[0]) else [float(x) for x in r] for r in rows]


def _write(out: IO[bytes], pieces: Sequence[Piece]) -> None:
    for piece in pieces:
        if isinstance(piece, bytes):
            out.write(piece)
        else:
            piece.copy_to(out)


def _write_payload(out: IO[bytes], parts: Sequence[Tuple[_Spool, int]]) -> None:
    for spool, padded in parts:
        if not 0 <= padded - spool.size < 8:
            raise RuntimeError("a spooled array holds %d bytes, its place %d" % (spool.size, padded))
        spool.copy_to(out)
        out.write(b"\0" * (padded - spool.size))


def _pose_text(spool: _Spool, indent: Optional[int], prefix: str) -> Iterator[str]:
    """The head-pose frames list as ``json.dumps(..., indent=indent)`` writes it at a line
    indented by ``prefix``."""
    if indent is None:
        sep, open_, close, inner, num = ", ", "[", "]", "", ""
    else:
        inner = prefix + " " * indent
        sep, open_, close, num = ",\n" + inner, "[\n" + inner, "\n" + prefix + "]", inner + " " * indent
    first = True
    for data in spool.blocks(_BLOCK * 8 * len(POSE_COLUMNS)):
        rows = np.frombuffer(data, dtype="<f8").reshape(-1, len(POSE_COLUMNS))
        items = [_pose_item(r, indent, inner, num) for r in rows]
        yield (open_ if first else sep) + sep.join(items)
        first = False
    yield "[]" if first else close


def _pose_item(row: np.ndarray, indent: Optional[int], inner: str, num: str) -> str:
    if np.isnan(row[0]):
        return "null"
    values = [repr(float(x)) for x in row]
    if indent is None:
        return "[" + ", ".join(values) + "]"
    return "[\n" + num + (",\n" + num).join(values) + "\n" + inner + "]"
