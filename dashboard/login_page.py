"""The sign-in page: a plain HTML form, served by the dashboard itself (pure rendering).

No script and no external file: the page must work before the Dash bundle
may be loaded, under the same Content-Security-Policy (inline styles are
allowed by it, scripts are not). Every value is HTML-escaped.
"""

from __future__ import annotations

from html import escape

from dashboard.i18n import ENGLISH, Translator

STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d2733; margin: 0; }
main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
p.sub { margin: 0 0 1.5rem; color: #5a6775; font-size: .9rem; }
label { display: block; margin: .75rem 0 .25rem; font-size: .9rem; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box;
       padding: .5rem; border: 1px solid #b8c2cc; border-radius: 4px; font-size: 1rem; }
button { margin-top: 1.25rem; width: 100%; padding: .6rem; font-size: 1rem; border: 0;
         border-radius: 4px; background: #1f5fa8; color: #fff; cursor: pointer; }
.message { padding: .6rem; border-radius: 4px; background: #fdecea; color: #8a1c12;
           font-size: .9rem; }
.message.info { background: #e8f1fb; color: #17406e; }
"""


def login_html(
    *,
    title: str,
    csrf_token: str,
    next_path: str = "/",
    name: str = "",
    message: str = "",
    info: bool = False,
    t: Translator = ENGLISH,
) -> str:
    """The sign-in form in `t`'s language; `message` (an error unless `info`, already
    translated) is shown above it."""
    note = (
        f'<p class="message{" info" if info else ""}" role="{"status" if info else "alert"}">'
        f"{escape(message)}</p>"
        if message
        else ""
    )
    sign_in = escape(t("Sign in"))
    sub = escape(t("Sign in to the threat-monitoring dashboard."))
    user_name = escape(t("User name"))
    password = escape(t("Password"))
    return f"""<!DOCTYPE html>
<html lang="{t.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{sign_in} · {escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
<p class="sub">{sub}</p>
{note}
<form method="post" action="/login" id="login">
<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">
<input type="hidden" name="next" value="{escape(next_path)}">
<label for="name">{user_name}</label>
<input type="text" id="name" name="name" value="{escape(name)}" autocomplete="username"
 autocapitalize="none" required autofocus>
<label for="password">{password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">{sign_in}</button>
</form>
</main>
</body>
</html>
"""
