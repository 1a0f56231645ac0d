"""The ``microexpr`` command line: a thin door onto the core."""
