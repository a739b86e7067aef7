"""Language of a page: ``?lang=zh|en`` (remembered in a cookie), else the cookie, else zh-CN."""

from __future__ import annotations

from fastapi import Request, Response

LANGS = ("zh", "en")
DEFAULT = "zh"
COOKIE = "rg_lang"


def pick_lang(request: Request) -> str:
    """The page language for this request."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(COOKIE)
    return kept if kept in LANGS else DEFAULT


def remember_lang(request: Request, response: Response) -> None:
    """Store an explicit ``?lang=`` choice in a cookie for the next pages."""
    asked = request.query_params.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)


def translator(lang: str):  # type: ignore[no-untyped-def]  # returns the template's t(en, zh)
    def t(en: str, zh: str) -> str:
        return zh if lang == "zh" else en

    return t
