"""The HTML of the emulated Microsoft sign-in pages: pick an account, enter a device code, errors."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from aiohttp import web

from emulator import demo

TITLE = "Microsoft 365 sign-in (local emulator)"
STYLE = (
    "body{font-family:Segoe UI,Arial,sans-serif;max-width:440px;margin:48px auto;padding:0 16px;color:#1b1b1b}"
    "h1{font-size:20px}form{margin:8px 0}button{width:100%;padding:10px;text-align:left;font-size:15px;"
    "border:1px solid #8c8c8c;background:#fff;cursor:pointer}button.secondary{text-align:center;background:#eee}"
    "input[type=text]{width:100%;padding:8px;font-size:15px;box-sizing:border-box}.error{color:#a80000}"
    ".email{color:#616161;font-size:13px}"
)


def page(heading: str, body: str, status: int = 200) -> web.Response:
    """A complete sign-in page; `body` is HTML the caller escaped."""
    html = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{TITLE}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
        f"<body><p>{TITLE}</p><h1>{escape(heading)}</h1>{body}</body></html>"
    )
    return web.Response(text=html, status=status, content_type="text/html")


def error_page(message: str, status: int = 400) -> web.Response:
    """Entra's "Sorry, but we're having trouble signing you in" page."""
    return page("Sorry, but we're having trouble signing you in.", f'<p class="error">{escape(message)}</p>', status)


def account_picker(action: str, tenant: demo.DemoTenant, client_id: str, hidden: dict[str, str]) -> web.Response:
    """One button per user of the tenant, each posting `user` (and `hidden`) to `action`; plus a cancel button."""
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items())
    buttons = "".join(
        f'<form method="post" action="{escape(action)}">{fields}'
        f'<input type="hidden" name="user" value="{escape(user.aad_id)}">'
        f'<button type="submit" name="account" value="{escape(user.email)}">{escape(user.name)}'
        f'<br><span class="email">{escape(user.email)}</span></button></form>'
        for user in tenant.users
    )
    cancel = (
        f'<form method="post" action="{escape(action)}">{fields}'
        '<button type="submit" class="secondary" name="cancel" value="1">Cancel</button></form>'
    )
    intro = f"<p>{escape(tenant.name)} · app {escape(client_id)}</p>"
    return page("Pick an account", intro + buttons + cancel)


def device_code_form(action: str, message: str = "", status: int = 200) -> web.Response:
    """The "Enter code" page of the device-code sign-in."""
    error = f'<p class="error">{escape(message)}</p>' if message else ""
    form = (
        f'<form method="post" action="{escape(action)}"><p>Enter the code displayed on your app or device.</p>'
        '<input type="text" name="user_code" autocomplete="off" autofocus placeholder="Code">'
        '<p><button type="submit" class="secondary">Next</button></p></form>'
    )
    return page("Enter code", error + form, status)


def form_post(redirect_uri: str, params: Iterable[tuple[str, str]]) -> web.Response:
    """response_mode=form_post: a page that posts the answer to the redirect URI at once."""
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params)
    html = (
        f"<!DOCTYPE html><html><head><title>Working...</title></head>"
        f'<body onload="document.forms[0].submit()"><form method="post" action="{escape(redirect_uri)}">'
        f"{fields}<noscript><button type=submit>Continue</button></noscript></form></body></html>"
    )
    return web.Response(text=html, content_type="text/html")
