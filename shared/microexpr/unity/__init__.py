"""The Unity package's runtime core, seen from Python: build it with Mono's ``mcs`` (cached by
a hash of its sources, outside the package folder), load it with pythonnet, and compare its
weights with the Python core (``verify-unity``).

Golden vectors, ``.meta`` files and NUnit runs are developer tooling: see ``tools/``.
"""
