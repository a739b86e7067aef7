"""Error types of the engine, one tree.

::

    RefundGuardError
    ├── InputError            unusable input: the CLI exits 2, the API answers 4xx
    │   ├── UnsupportedFormat the content is not an image type we read
    │   ├── InputTooLarge     bytes, pixels, frames, decoding cost or metadata over the configured limits
    │   └── UnreadableImage   truncated, corrupt, or hostile content
    └── ConfigError           bad settings
    NotApplicable             control flow: a check's input is outside its domain

An :class:`InputError` message is one line in English, fit for a user; ``zh`` holds the same in Chinese
when the raiser wrote one (the CLI prints both, the web pages pick one).
"""

from __future__ import annotations


class RefundGuardError(Exception):
    """Base class of every error the engine raises on purpose."""


class InputError(RefundGuardError):
    """The input cannot be analysed. The message is one line, fit for a user; ``zh`` is its Chinese text."""

    def __init__(self, message: str = "", *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh

    def prefixed(self, label: str) -> InputError:
        """The same error about the file ``label``: ``"label: message"`` in both languages."""
        out = type(self)(f"{label}: {self}", zh=f"{label}：{self.zh}" if self.zh else None)
        out.__cause__ = self.__cause__ or self
        return out


class UnsupportedFormat(InputError):
    pass


class InputTooLarge(InputError):
    pass


class UnreadableImage(InputError):
    pass


class ConfigError(RefundGuardError):
    pass


class NotApplicable(Exception):
    """Raised by a check whose inputs are outside its domain; the reason is shown to users.

    ``key`` (with ``params``) names the reason in the message catalogue (:mod:`refundguard.messages`), which makes
    it in the reader's language; the plain message stays for logs and for records read without the catalogue.
    """

    def __init__(self, message: str = "", *, key: str | None = None, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.params = dict(params or {})


def not_applicable(key: str, **params: object) -> NotApplicable:
    """A :class:`NotApplicable` whose reason is the catalogue sentence ``key`` (its English text as the message)."""
    from refundguard.messages import render
    from refundguard.messages.render import Context

    return NotApplicable(render(key, params, Context("en")), key=key, params=params)
