"""Private image math of the ``reference`` check: align a reference photo to a claim and find what changed.

Pipeline: :func:`prepare` (working resolution, usability) -> :func:`match` (SIFT + MAGSAC homography, also
against the mirrored reference) -> :func:`refine` (ECC, sub-pixel) -> :func:`warp` -> :func:`fit_colour`
(robust colour model) -> :func:`capture_evidence` (same capture or a different one?) -> :func:`find_changes`
-> :func:`relighting` (or a fixed-camera re-shoot under other light?).
:func:`compare.compare` runs it all for one pair.

The package itself imports nothing: the check module imports :mod:`settings` (its config model) when it is
discovered and the image math from the modules (``_align.compare``, ``_align.prepare``, ...) only when it runs.
"""
