"""Private image-forensics math for the ``tamper`` check: arrays in, arrays out.

Modules: :mod:`.jpeg_dct` (blockwise DCT, aligned double-quantisation maps), :mod:`.jpeg_lattice`
(an earlier JPEG's lattice on any grid: non-aligned double quantisation, JPEG history of lossless
files), :mod:`.jpeg_grid`
(8x8 blocking-grid phase and presence), :mod:`.noise` (local noise-level inconsistency),
:mod:`.resample` (local resampling traces in the predictor-residual spectrum), :mod:`.fuse`
(cue fusion, regions, the localised score), :mod:`.pipeline` (all cues on one picture),
:mod:`.orient` (stored-to-displayed frame). The error-level picture drawn for people in the HTML
report (never evidence) lives in :mod:`refundguard.report.ela`.
"""
