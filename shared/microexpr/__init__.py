"""MicroExpr core: facial micro-expressions for Maya and Unity.

The core is host-agnostic: it imports numpy, scipy and pydantic only, never Maya or Unity.
Units: lengths in the rig's unit (centimetres by default), weights 0-1.
"""
__version__ = "0.1.0"
BRIDGE_FORMAT_VERSION = 2
