"""Private helpers of the ``live`` check: the one-time code, view comparison, re-photographed screens and prints."""
