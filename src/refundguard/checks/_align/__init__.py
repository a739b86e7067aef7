"""Private image math of the ``reference`` check: align a reference photo to a claim and find what changed.

Pipeline: :func:`prepare` (working resolution, usability) -> :func:`match` (SIFT + MAGSAC homography, also
against the mirrored reference) -> :func:`refine` (ECC, sub-pixel) -> :func:`warp` -> :func:`fit_colour`
(robust colour model) -> :func:`capture_evidence` (same capture or a different one?) -> :func:`find_changes`
-> :func:`relighting` (or a fixed-camera re-shoot under other light?).
:func:`compare` runs it all for one pair.
"""

from refundguard.checks._align.compare import Comparison, compare
from refundguard.checks._align.prepare import Prepared, prepare

__all__ = ["Comparison", "Prepared", "compare", "prepare"]
