"""When sign-in is required, where a sign-in may return to, and what the login page shows."""

from __future__ import annotations

import pytest

from dashboard.login_page import login_html
from dashboard.signin import safe_next
from threatmon.dashboard_cli import is_loopback, sign_in_required
from threatmon.settings import Settings


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "dashboard.example", "", "fe80::1"]
)
def test_every_other_address_or_name_counts_as_reachable_from_elsewhere(host: str) -> None:
    assert not is_loopback(host)


def test_sign_in_is_required_off_loopback_and_on_loopback_when_asked() -> None:
    assert not sign_in_required(Settings())
    assert sign_in_required(Settings(host="0.0.0.0"))
    assert sign_in_required(Settings(require_sign_in=True))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/alerts?alert=3", "/alerts?alert=3"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_a_sign_in_returns_only_to_a_path_of_this_dashboard(target, expected) -> None:
    assert safe_next(target) == expected


def test_the_login_page_escapes_what_it_echoes_and_has_no_script() -> None:
    page = login_html(
        title="threatmon",
        csrf_token="tok",
        next_path='/items?q="><script>',
        name="<b>amina</b>",
        message="Wrong user name or password.",
    )
    assert "<script" not in page
    assert 'value="/items?q=&quot;&gt;&lt;script&gt;"' in page
    assert 'value="&lt;b&gt;amina&lt;/b&gt;"' in page
    assert 'role="alert">Wrong user name or password.</p>' in page
    assert 'name="csrf_token" value="tok"' in page
