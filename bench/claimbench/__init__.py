"""claimbench: reproducible labelled refund-claim photos built from real images (see generate.py)."""
