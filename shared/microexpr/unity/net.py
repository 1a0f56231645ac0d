"""Load the C# runtime core into this Python process with pythonnet on Mono, and move numpy
arrays in and out of .NET arrays."""
from __future__ import annotations

import os
import warnings
from typing import Any, Literal, Optional

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.unity.build import INSTALL_HINT, missing_mono, runtime_dll

_RUNTIME: Optional[Any] = None


def missing_pythonnet() -> Optional[str]:
    try:
        import pythonnet  # noqa: F401
    except ImportError:
        return "pythonnet is not installed (pip install pythonnet)"
    return None


def runtime() -> Any:
    """The ``MicroExpr.Runtime`` namespace from the cached DLL (built on first use)."""
    global _RUNTIME
    if _RUNTIME is not None:
        return _RUNTIME
    reason = missing_mono() or missing_pythonnet()
    if reason:
        raise MicroExprError("cannot load the C# runtime: " + reason,
                             fix=INSTALL_HINT + "; pip install pythonnet")
    dll = runtime_dll()
    # Mono deadlocks under several Python threads unless set before it starts
    os.environ["MONO_THREADS_SUSPEND"] = "preemptive"
    import pythonnet

    info = pythonnet.get_runtime_info()
    if info is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # clr_loader warns about Mono < 6.12
            pythonnet.load("mono")
    elif "mono" not in str(info.kind).lower():
        raise MicroExprError("pythonnet already runs %s, not Mono" % info.kind,
                             fix="load the MicroExpr runtime before any other .NET runtime")
    import clr

    clr.AddReference(dll)
    import MicroExpr.Runtime as rt  # noqa: E402

    _RUNTIME = rt
    return rt


def to_net(a) -> Any:
    """A flat ``System.Double[]`` copy of an array (one memcpy)."""
    from System import Array, Double, IntPtr
    from System.Runtime.InteropServices import Marshal

    flat = np.ascontiguousarray(np.asarray(a, dtype=np.float64).reshape(-1))
    out = Array.CreateInstance(Double, flat.size)
    if flat.size:
        Marshal.Copy(IntPtr.op_Explicit(int(flat.ctypes.data)), out, 0, flat.size)
    return out


def bytes_to_net(data: bytes) -> Any:
    """A ``System.Byte[]`` copy of ``data`` (one memcpy)."""
    from System import Array, Byte, IntPtr
    from System.Runtime.InteropServices import Marshal

    buf = np.frombuffer(bytes(data), dtype=np.uint8)
    out = Array.CreateInstance(Byte, buf.size)
    if buf.size:
        Marshal.Copy(IntPtr.op_Explicit(int(buf.ctypes.data)), out, 0, buf.size)
    return out


def ints_to_net(a) -> Any:
    from System import Array, Int32

    vals = [int(v) for v in np.asarray(a).reshape(-1)]
    out = Array.CreateInstance(Int32, len(vals))
    for i, v in enumerate(vals):
        out[i] = v
    return out


def bools_to_net(a) -> Any:
    from System import Array, Boolean

    vals = [bool(v) for v in np.asarray(a).reshape(-1)]
    out = Array.CreateInstance(Boolean, len(vals))
    for i, v in enumerate(vals):
        out[i] = v
    return out


def strings_to_net(names) -> Any:
    from System import Array, String

    out = Array.CreateInstance(String, len(names))
    for i, n in enumerate(names):
        out[i] = str(n)
    return out


def from_net(arr, shape=None) -> np.ndarray:
    """A numpy copy of a ``System.Double[]`` (or ``Boolean[]``), reshaped when asked."""
    from System import Boolean

    if arr.GetType().GetElementType() == Boolean:
        out = np.array([bool(v) for v in arr], dtype=bool)
    else:
        out = np.frombuffer(memoryview(arr), dtype=np.float64).copy()
    return out if shape is None else out.reshape(shape)


def new_doubles(n: int) -> Any:
    from System import Array, Double

    return Array.CreateInstance(Double, int(n))


def new_bools(n: int) -> Any:
    from System import Array, Boolean

    return Array.CreateInstance(Boolean, int(n))


class csharp_errors:
    """Turn the runtime's MicroExprException into MicroExprError (file, field, fix kept)."""

    def __enter__(self) -> "csharp_errors":
        return self

    def __exit__(self, kind, exc, tb) -> Literal[False]:
        if exc is None or not hasattr(exc, "Problem") or not hasattr(exc, "Fix"):
            return False
        raise MicroExprError(str(exc.Problem), file=exc.File or None, field=exc.Field or None,
                             fix=exc.Fix or None) from None
