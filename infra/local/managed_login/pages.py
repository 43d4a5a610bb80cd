"""The managed login's HTML: the sign-in page and the error page. Plain HTML, no script; the
form has Cognito's field names (`username`, `password`, `_csrf`) and one submit button."""

from flask import render_template_string

_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; background: #f2f3f3; margin: 0; }
main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
label { display: block; margin: .8rem 0 .2rem; }
input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; }
button { margin-top: 1.2rem; width: 100%; padding: .6rem; font: inherit; background: #0972d3;
         color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
.error { color: #d91515; }
.note { color: #5f6b7a; font-size: .85rem; margin-top: 1.5rem; }
"""

_SIGN_IN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title><style>{{ style }}</style></head>
<body><main>
  <h1>Sign in with your username and password</h1>
  {% if error %}<p class="error" id="loginErrorMessage" role="alert">{{ error }}</p>{% endif %}
  <form method="post" action="{{ action }}">
    <input type="hidden" name="_csrf" value="{{ csrf }}">
    <label for="signInFormUsername">Username</label>
    <input id="signInFormUsername" name="username" type="text" autocomplete="username" autocapitalize="none" required value="{{ username }}">
    <label for="signInFormPassword">Password</label>
    <input id="signInFormPassword" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" name="signInSubmitButton">Sign in</button>
  </form>
  <p class="note">Local stand-in for Amazon Cognito managed login ({{ domain }}).</p>
</main></body></html>
"""

_ERROR = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error</title><style>{{ style }}</style></head>
<body><main>
  <h1>An error was encountered with the requested page.</h1>
  <p class="error" id="errorMessage" role="alert">{{ message }}</p>
</main></body></html>
"""

# No script, no framing, nothing loaded from elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def sign_in(action, csrf, domain, error=None, username=""):
    return render_template_string(_SIGN_IN, style=_STYLE, action=action, csrf=csrf, domain=domain,
                                  error=error, username=username)


def error(message):
    return render_template_string(_ERROR, style=_STYLE, message=message)
