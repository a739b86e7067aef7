"""Signed, hash-chained, append-only feeds: this platform's own (:mod:`.publish`, :mod:`.serve`), the state the
records produce (:mod:`.state`), and the pull from every peer (:mod:`.sync`)."""
