"""Benchmarks. Each module ``bench/<name>.py`` defines ``run(quick: bool = False) -> dict``."""
