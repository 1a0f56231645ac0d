"""Batch at scale: many takes through capture or solve, review and export, on a local
process pool or a Dask distributed cluster, resumable and with an HTML index.

Modules, one job each:

- ``manifest``: the jobs, from a CSV or JSON manifest or a glob of inputs.
- ``keys``: a job's content key (input bytes, rig fingerprint, settings).
- ``records``: each take's folder, its ``done.json`` (written last) and ``failed.json``.
- ``jobs``: one job on a worker, through the single commands' core functions; rigs cached
  per worker process.
- ``mayapy``: the Maya scene job kind (the Maya module's batch exporter in a subprocess).
- ``engines``: the local process pool (recovers from a dead process) and the Dask engine.
- ``progress``: the progress bar. ``index``: ``index.html`` and ``summary.json``.
- ``run``: the whole batch (plan, run, retry once, record, index).

Dask is imported only by the Dask engine (``pip install 'microexpr[dask]'``).
"""
