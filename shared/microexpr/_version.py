"""The version of MicroExpr, in one place: setup.cfg, the Maya plug-ins and the installer read it;
a test checks that the Unity package.json agrees."""
__version__ = "0.1.0"
