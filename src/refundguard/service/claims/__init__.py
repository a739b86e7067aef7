"""Claims: lifecycle, analyses, decisions."""
