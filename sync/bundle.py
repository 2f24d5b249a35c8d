"""Offline bundles for the server side: the format is defined in :mod:`collector.bundle`.

``collector export`` writes bundles and ``collector/`` may not import ``sync/``, so the
format lives one layer up and is re-exported here for ``server import``.
"""

from __future__ import annotations

from collector.bundle import FORMAT, VERSION, BundleError, read_bundle, write_bundle

__all__ = ["FORMAT", "VERSION", "BundleError", "read_bundle", "write_bundle"]
