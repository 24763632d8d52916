"""A small login site on 127.0.0.1: a form sets a session cookie; /account is only for signed-in browsers.

Signing in sets what a real site's login leaves in a profile, so the login state can be tested on it: the
session cookie (HttpOnly, SameSite=Lax, no expiry), a persistent SameSite=Strict cookie, a Secure
SameSite=None cookie, and a localStorage item written by the page the form leads to (``/account?welcome=1``).

Tokens are an HMAC of the user name, so every instance started with the same secret accepts the same
cookie: a base profile logged in once stays logged in on every worker's own instance (cookies belong to
the host, not the port).

    python -m demo.site --port 8000
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USERNAME, PASSWORD = "alice", "wonderland"
SESSION_COOKIE = "demo_session"
THEME_COOKIE = "demo_theme"  # persistent (a year), SameSite=Strict
DEVICE_COOKIE = "demo_device"  # Secure, SameSite=None (Chromium takes Secure cookies from http://127.0.0.1)
STORAGE_KEY = "demo_api_token"  # the localStorage item the signed-in page writes
DEFAULT_SECRET = "pytest-edgeprofile-demo"
WELCOME = "/account?welcome=1"


def token_for(user: str, secret: str = DEFAULT_SECRET) -> str:
    return hmac.new(secret.encode(), user.encode(), hashlib.sha256).hexdigest()


def api_token_for(user: str, secret: str = DEFAULT_SECRET) -> str:
    """The localStorage item's value: secret like the cookie's, so tests can look for it in logs and files."""
    return "api-" + hmac.new(secret.encode(), b"api:" + user.encode(), hashlib.sha256).hexdigest()[:32]


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body>{body}</body></html>"""
LOGIN_FORM = """<h1 id="login">Sign in</h1>
<form method="post" action="/login">
  <label>User <input id="username" name="username" autocomplete="username"></label>
  <label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
  <button id="sign-in" type="submit">Sign in</button>
</form>"""


class LoginSite(ThreadingHTTPServer):
    """The site's server; ``url`` is its base address."""

    daemon_threads = True

    def __init__(self, port: int = 0, secret: str = DEFAULT_SECRET) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.secret = secret
        self.logins = 0
        self.requests: list[str] = []  # every request's method and path, in order (tests: did one reach us?)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> LoginSite:
        self._thread = threading.Thread(target=self.serve_forever, name="login-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: LoginSite

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read their own output
        pass

    def _signed_in(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie", ""))
        morsel = cookie.get(SESSION_COOKIE)
        if morsel is not None and hmac.compare_digest(morsel.value, token_for(USERNAME, self.server.secret)):
            return USERNAME
        return None

    def _send(
        self, status: int, body: str = "", headers: dict[str, str] | None = None, cookies: tuple[str, ...] = ()
    ) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        for cookie in cookies:  # more Set-Cookie headers than a dict can hold
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.requests.append(f"GET {self.path}")
        parts = urlsplit(self.path)
        path = parts.path
        user = self._signed_in()
        if path == "/":
            state = f"Signed in as {user}" if user else "Not signed in"
            self._send(200, PAGE.format(title="Demo", body=f'<p id="state">{state}</p><a href="/account">Account</a>'))
        elif path == "/login":
            self._send(200, PAGE.format(title="Sign in", body=LOGIN_FORM))
        elif path == "/account":
            if user is None:
                self._send(302, headers={"Location": "/login?next=/account"})
            else:
                body = f'<h1 id="account">Signed in as {html.escape(user)}</h1><a href="/logout">Sign out</a>'
                if parse_qs(parts.query).get("welcome") == ["1"]:  # right after signing in, like a real app
                    value = json.dumps(api_token_for(user, self.server.secret))
                    body = f"<script>localStorage.setItem({json.dumps(STORAGE_KEY)}, {value})</script>" + body
                self._send(200, PAGE.format(title="Account", body=body))
        elif path == "/logout":
            self._send(302, headers={"Location": "/login", "Set-Cookie": f"{SESSION_COOKIE}=; Path=/; Max-Age=0"})
        else:
            self._send(404, PAGE.format(title="Not found", body="<p>Not found</p>"))

    def do_POST(self) -> None:
        self.server.requests.append(f"POST {self.path}")
        if urlsplit(self.path).path != "/login":
            self._send(404)
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8"))
        if form.get("username") == [USERNAME] and form.get("password") == [PASSWORD]:
            self.server.logins += 1
            # A session cookie (no expiry): the hardest kind to keep across a profile copy.
            cookie = f"{SESSION_COOKIE}={token_for(USERNAME, self.server.secret)}; Path=/; HttpOnly; SameSite=Lax"
            self._send(
                303,
                headers={"Location": WELCOME, "Set-Cookie": cookie},
                cookies=(
                    f"{THEME_COOKIE}=dark; Path=/; Max-Age=31536000; SameSite=Strict",
                    f"{DEVICE_COOKIE}=device-{token_for('device', self.server.secret)[:16]}; "
                    "Path=/; Secure; SameSite=None",
                ),
            )
        else:
            self._send(401, PAGE.format(title="Sign in", body='<p id="error">Wrong user or password</p>' + LOGIN_FORM))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    site = LoginSite(args.port)
    print(f"serving {site.url} (user {USERNAME}, password {PASSWORD})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        site.serve_forever()


if __name__ == "__main__":
    main()
