"""The Typer application object and helpers shared by the command modules."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime

import typer
from rich.console import Console
from rich.text import Text

from refundguard import __version__
from refundguard.errors import InputError, RefundGuardError
from refundguard.media.names import printable

app = typer.Typer(name="refundguard", add_completion=False, no_args_is_help=True,
                  help="Find AI-forged evidence in refund-only claims and explain why. / "
                       "识别仅退款申请中的 AI 伪造凭证。")
err = Console(stderr=True)
out = Console()


def plain(text: object, style: str = "") -> Text:
    """Untrusted text (file names, messages that quote them, OCR output) for Rich: one line, control and
    escape characters made visible, never read as markup."""
    return Text(printable(" ".join(str(text).split()), max_chars=2000), style=style)


def fail(message: str | BaseException, code: int = 2) -> typer.Exit:
    """Print one clear line to stderr and return the Exit to raise.

    An :class:`~refundguard.errors.InputError` that carries a Chinese message gets it beside the English
    one. File names and other untrusted text are escaped (:func:`plain`).
    """
    line = Text("error:", style="bold red") + " " + plain(message)
    zh = getattr(message, "zh", None) if isinstance(message, BaseException) else None
    if zh:
        line += Text(" / 错误：") + plain(zh)
    err.print(line, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def warn_without_cjk_font() -> None:
    """At a server's start: say at once, in both languages, when no Chinese font is installed (its evidence bundles
    are then refused with a clear page, never printed as empty boxes)."""
    from refundguard.messages import Context, render
    from refundguard.report.pdf import FontMissing, check_cjk_font

    try:
        check_cjk_font()
    except FontMissing:
        en, zh = (render("cli.no_cjk_font", {}, Context(lang)) for lang in ("en", "zh"))
        err.print(Text("warning: ", style="bold yellow") + plain(f"{en} / {zh}"), highlight=False, soft_wrap=True)


def fail_about(subject: object, exc: BaseException, code: int = 2) -> typer.Exit:
    """:func:`fail` for an error about one file or option: ``subject: error``, with the error's Chinese when it
    has one."""
    zh = getattr(exc, "zh", None) or str(exc)
    return fail(_Bilingual(f"{subject}: {exc}", f"{subject}：{zh}"), code)


def fail_bilingual(en: str, zh: str, code: int = 2) -> typer.Exit:
    """:func:`fail` with a sentence already made in both languages (a domain error's ``en``/``zh``)."""
    return fail(_Bilingual(en, zh), code)


def fail_with(key: str, code: int = 2, **params: object) -> typer.Exit:
    """:func:`fail` with the catalogue's sentence ``key`` in English and Chinese."""
    from refundguard.messages import Context, render

    return fail(_Bilingual(render(key, params, Context("en")), render(key, params, Context("zh"))), code)


class _Bilingual(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.zh = zh


def _interrupted() -> str:
    from refundguard.messages import Context, render

    return f"{render('cli.interrupted', {}, Context('en'))} / {render('cli.interrupted', {}, Context('zh'))}"


def parse_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise fail_with("cli.bad_time", option=f"--{name}", value=value) from exc


def version_callback(value: bool) -> None:
    if value:
        out.print(f"refundguard {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                      help="Show the version and exit.")) -> None:
    """RefundGuard command line."""


def _kinds(exc: BaseException) -> set[str]:
    """The class names of ``exc`` and its bases: Typer carries its own copy of Click, so its parser's errors are
    told apart by name, not by ``isinstance`` against the ``click`` package."""
    return {c.__name__ for c in type(exc).__mro__}


def _param_name(param: object) -> str:
    """How a parameter is written on the command line: an option by its longest flag, an argument by its name."""
    if any(k.endswith("Argument") for k in _kinds(param)):  # type: ignore[arg-type]  # Click's or Typer's own
        return str(getattr(param, "human_readable_name", None) or getattr(param, "name", "?"))
    opts = [str(o) for o in getattr(param, "opts", None) or []]
    return max(opts, key=len) if opts else str(getattr(param, "name", "?"))


def usage_line(exc: Exception) -> str:
    """The Chinese line printed under Click's English one for a refused command line: what is wrong, by the
    error's kind and the parameter it names, and how to see the usage."""
    from refundguard.messages import Context, render

    kinds = _kinds(exc)
    ctx = getattr(exc, "ctx", None)
    param = getattr(exc, "param", None)
    name = _param_name(param) if param is not None else getattr(exc, "param_hint", None)
    if "MissingParameter" in kinds:
        kind = "missing_argument" if param is not None and any(k.endswith("Argument") for k in _kinds(param)) \
            else "missing_option"
        key, params = f"cli.usage.{kind}", {"name": name or "?"}
    elif "NoSuchOption" in kinds:
        near = sorted(getattr(exc, "possibilities", None) or [])
        key = "cli.usage.no_such_option_near" if near else "cli.usage.no_such_option"
        params = {"name": getattr(exc, "option_name", "?"), "near": near}
    elif "BadParameter" in kinds:
        key, params = "cli.usage.bad_value", {"name": name or "?"}
    elif "BadOptionUsage" in kinds:
        key, params = "cli.usage.bad_option", {"name": getattr(exc, "option_name", "?")}
    elif str(getattr(exc, "message", "")).startswith("No such command "):
        key, params = "cli.usage.no_such_command", {"name": str(exc.message)[len("No such command "):].rstrip(".")}
    else:
        key, params = "cli.usage.other", {}
    command = ctx.command_path if ctx is not None else "refundguard"
    return render("cli.usage.help", {"message": render(key, params, Context("zh")), "command": command},
                  Context("zh"))


def _refused(exc: Exception) -> None:
    if "NoArgsIsHelpError" in _kinds(exc):  # `refundguard` alone: the (bilingual) help
        exc.show()  # type: ignore[attr-defined]
        return
    from typer import rich_utils

    rich_utils.rich_format_error(exc)  # type: ignore[arg-type]  # Click's message, as Typer shows it
    err.print(Text("错误：", style="bold red") + plain(usage_line(exc)), highlight=False, soft_wrap=True)


def run() -> None:  # console-script entry point with a last-resort guard against tracebacks
    from refundguard.cli._start import resume_gc

    try:
        try:
            code = app(standalone_mode=False)
        finally:
            resume_gc()  # a command that ended before an analysis started (its help, an error)
    except KeyboardInterrupt:
        err.print(_interrupted())
        sys.exit(130)
    except InputError as exc:  # unusable input that a command did not catch: still one line, exit 2
        raise SystemExit(fail(exc).exit_code) from None
    except (RefundGuardError, Exception) as exc:
        if "ClickException" in _kinds(exc):  # a command line the parser refused: Click's English, then Chinese
            _refused(exc)
            sys.exit(int(getattr(exc, "exit_code", 2)))
        if "Abort" in _kinds(exc):  # Ctrl-C or end of input at a prompt
            err.print(_interrupted())
            sys.exit(130)
        if os.environ.get("REFUNDGUARD_DEBUG"):
            traceback.print_exc()
        fail_with("cli.internal_error", 1, kind=type(exc).__name__, detail=str(exc))
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)  # a command's Exit(code), or 0 when it returned
