"""The login state as data and as files, without a browser: origins, formats, and no value ever shown."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from pytest_edgeprofile.errors import LoginStateError, SettingsError
from pytest_edgeprofile.state import (
    Cookie,
    LoginState,
    OriginStorage,
    dump_state,
    origin_of,
    parse_origin,
    read_state_file,
    write_state_file,
)

SECRET = "s3cr3t-token-value"
STATE = LoginState(
    cookies=(
        Cookie(
            "sid",
            SECRET,
            "app.example.com",
            "/",
            None,
            http_only=True,
            secure=True,
            same_site="Lax",
            source_scheme="Secure",
            source_port=443,
        ),
        Cookie("theme", SECRET + "-2", ".example.com", "/ui", 1_900_000_000.5, same_site="Strict"),
        Cookie("legacy", SECRET + "-3", "app.example.com", "/", 1_900_000_000.0),
    ),
    origins=(OriginStorage("https://app.example.com", (("api_token", SECRET + "-4"), ("lang", "en"))),),
)


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("HTTPS://App.Example.com/", "https://app.example.com"),
        ("https://example.com:443", "https://example.com"),
        ("http://example.com:80", "http://example.com"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("http://localhost", "http://localhost"),
    ],
)
def test_an_origin_is_written_the_way_browsers_write_it(text: str, origin: str) -> None:
    assert parse_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("http://127.0.0.1:8000/account", " (for this URL: http://127.0.0.1:8000)"),
        ("https://example.com?x=1", " (for this URL: https://example.com)"),
        ("example.com", ""),
        ("ftp://example.com", ""),
        ("https://user@example.com", ""),
        ("http://example.com:99999", " (for this URL: http://example.com:99999)"),
        ("http://", ""),
    ],
)
def test_a_bad_origin_is_one_sentence_naming_it_and_the_form_wanted(text: str, hint: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_origin(text)
    assert str(caught.value) == (
        f"origin {text!r} (from --origin) is not an origin; give scheme://host[:port] with "
        f"http or https and no path{hint}."
    )
    assert (caught.value.setting, caught.value.source) == ("origin", "--origin")


def test_the_origin_of_a_url() -> None:
    assert origin_of("https://Intranet.Example.com/dashboard?x=1") == "https://intranet.example.com"
    assert origin_of("http://127.0.0.1:8123/account") == "http://127.0.0.1:8123"


def test_no_value_in_any_repr_or_str() -> None:
    shown = [
        repr(STATE),
        str(STATE),
        *map(repr, STATE.cookies),
        *map(str, STATE.cookies),
        repr(STATE.origins[0]),
        *(c.describe() for c in STATE.cookies),
        STATE.summary(),
        json.dumps(STATE.log_fields()),
    ]
    assert not [text for text in shown if SECRET in text], shown
    assert repr(STATE) == ("LoginState(3 cookie(s) of 2 site(s), localStorage: https://app.example.com (2 item(s)))")
    assert STATE.cookies[0].describe() == "sid (app.example.com/; HttpOnly, Secure, session, SameSite=Lax)"
    assert "api_token" in repr(STATE.origins[0])  # names are not secret; they help find what is missing


def test_a_host_only_cookie_is_set_by_url_and_a_domain_cookie_by_domain() -> None:
    host_only, domain, plain = (c.to_cdp_param() for c in STATE.cookies)
    assert host_only == {
        "name": "sid",
        "value": SECRET,
        "path": "/",
        "secure": True,
        "httpOnly": True,
        "url": "https://app.example.com/",
        "sameSite": "Lax",
        "sourceScheme": "Secure",
        "sourcePort": 443,
    }
    assert domain == {
        "name": "theme",
        "value": SECRET + "-2",
        "path": "/ui",
        "secure": False,
        "httpOnly": False,
        "domain": ".example.com",
        "expires": 1_900_000_000.5,
        "sameSite": "Strict",
    }
    assert plain["url"] == "http://app.example.com/" and "sameSite" not in plain and "expires" in plain


def test_cookies_from_the_browser_keep_their_flags() -> None:
    cdp = {
        "name": "a",
        "value": "v",
        "domain": "127.0.0.1",
        "path": "/",
        "expires": -1,
        "size": 2,
        "httpOnly": True,
        "secure": False,
        "session": True,
        "sameSite": "Lax",
        "priority": "Medium",
        "sourceScheme": "NonSecure",
        "sourcePort": 8000,
    }
    assert Cookie.from_cdp(cdp) == Cookie("a", "v", "127.0.0.1", "/", None, True, False, "Lax", "NonSecure", 8000)
    persistent = Cookie.from_cdp({**cdp, "expires": 1.9e9, "session": False, "sameSite": "Bogus"})
    assert (persistent.expires, persistent.same_site, persistent.session) == (1.9e9, None, False)


def test_playwright_format() -> None:
    data = dump_state(STATE, "playwright")
    assert data == {
        "cookies": [
            {
                "name": "sid",
                "value": SECRET,
                "domain": "app.example.com",
                "path": "/",
                "expires": -1,
                "httpOnly": True,
                "secure": True,
                "sameSite": "Lax",
            },
            {
                "name": "theme",
                "value": SECRET + "-2",
                "domain": ".example.com",
                "path": "/ui",
                "expires": 1_900_000_000.5,
                "httpOnly": False,
                "secure": False,
                "sameSite": "Strict",
            },
            # No SameSite set: Chromium treats it as Lax, and Playwright takes only its three words.
            {
                "name": "legacy",
                "value": SECRET + "-3",
                "domain": "app.example.com",
                "path": "/",
                "expires": 1_900_000_000.0,
                "httpOnly": False,
                "secure": False,
                "sameSite": "Lax",
            },
        ],
        "origins": [
            {
                "origin": "https://app.example.com",
                "localStorage": [{"name": "api_token", "value": SECRET + "-4"}, {"name": "lang", "value": "en"}],
            }
        ],
    }


@pytest.mark.parametrize("fmt", ["playwright", "cdp"])
def test_files_are_private_and_read_back(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "state.json"
    path.write_text("old")
    path.chmod(0o644)  # an older, readable file is replaced and made private
    write_state_file(path, STATE, fmt)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = read_state_file(path)
    if fmt == "cdp":
        assert back == STATE  # everything, including where each cookie was set
    else:  # Playwright's format has no source scheme/port and spells an unset SameSite as Lax
        assert [(c.name, c.value, c.domain, c.path, c.expires, c.http_only, c.secure) for c in back.cookies] == [
            (c.name, c.value, c.domain, c.path, c.expires, c.http_only, c.secure) for c in STATE.cookies
        ]
        assert back.origins == STATE.origins


def test_a_file_that_is_not_a_state_is_named(tmp_path: Path) -> None:
    for content, reason in (
        ("{", "cannot be read (JSONDecodeError)"),
        ("[]", "does not hold a JSON object"),
        ('{"cookies": [{"value": 1}]}', "is not in the playwright or cdp format"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(content)
        with pytest.raises(LoginStateError, match=r"^the login state file .*bad\.json " + re.escape(reason)):
            read_state_file(path)


def test_an_unwritable_place_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(LoginStateError) as caught:
        write_state_file(tmp_path / "missing" / "state.json", STATE)
    assert str(caught.value) == (
        f"the login state cannot be written to {tmp_path / 'missing' / 'state.json'} (No "
        "such file or directory); give -o a file in a folder that exists and that you can "
        "write to."
    )
