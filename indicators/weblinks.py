"""Which links from untrusted feeds may become clickable: one rule for the dashboard and e-mails."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_href(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL with a host and no whitespace, else None.

    Feed items may carry `javascript:` or `data:` links, or a URL with a line
    break that would split a header; only plain web links are ever made clickable.
    """
    if not url or not isinstance(url, str):
        return None
    stripped = url.strip()
    if any(ch in stripped for ch in "\x00\r\n\t "):
        return None
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return stripped
