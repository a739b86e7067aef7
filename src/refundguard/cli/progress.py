"""Progress on the terminal while work takes seconds: decoding each photo, each check, writing a bundle.

A spinner with the stage in words (:class:`refundguard.progress.Stages`) and a bar of the steps done, on stderr,
only when stderr is a terminal (a pipe or a file gets nothing extra); it disappears when the work is done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from refundguard.cli.app import err
from refundguard.progress import Stages


@contextmanager
def shown(stages: Stages, lang: str) -> Iterator[Callable[[str], None]]:
    """A progress callback for ``analyze(..., progress=...)`` that also draws the stage; ``stages.finish`` or
    :func:`stage` move it on."""
    stages.start()
    if not err.is_terminal:
        yield stages
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(stages.words(lang), total=stages.total)

        def update(what: str) -> None:
            if what.startswith("stage."):
                stages.finish(what)
                stages.done = max(stages.total - 1, 0)
            else:
                stages(what)
            # drawn at once: a stage shorter than the refresh interval (a small photo decodes in
            # milliseconds) is still shown, not skipped by the 10-per-second redraw
            bar.update(task, completed=stages.done, description=stages.words(lang), refresh=True)

        yield update
