"""Read a response body under a cap counted after decompression; check its Content-Length.

A cap on wire bytes is not enough: a few kilobytes of gzip can inflate to
gigabytes. `BoundedDecoder` undoes Content-Encoding in bounded steps and
counts what comes out, so a gzip bomb stops at the cap instead of inflating
a whole network chunk in memory. `read_body` feeds it while the body
streams, checking the fetch deadline between chunks, and turns a
Content-Length that disagrees with the body (shorter or longer) into a
recorded error rather than a silently truncated document.
"""

from __future__ import annotations

import zlib
from typing import Any

import httpx

from ingest.errors import ErrorKind, FeedError
from ingest.netguard import Deadline, wire_body_bytes


def read_body(
    response: httpx.Response, headers: dict[str, str], max_bytes: int, deadline: Deadline
) -> tuple[bytes, int]:
    """The decompressed body and the number of bytes received for it; raises `FeedError`.

    `headers` are the response headers with lower-cased names. Refuses a
    declared Content-Length over `max_bytes` before reading anything.
    """
    declared = _content_length(headers)
    if declared is not None and declared > max_bytes:
        raise FeedError(
            ErrorKind.TOO_LARGE,
            f"Content-Length {declared} bytes exceeds the {max_bytes} byte limit",
        )
    decoder = BoundedDecoder(headers.get("content-encoding"), max_bytes)
    raw = 0
    try:
        for chunk in response.iter_raw():
            raw += len(chunk)
            decoder.feed(chunk)
            deadline.check()
    except httpx.RemoteProtocolError as exc:
        if declared is not None and raw < declared:
            raise _lying_length(declared, f"the server sent {raw} and closed") from exc
        raise
    on_wire = wire_body_bytes(response)
    if (
        declared is not None
        and "transfer-encoding" not in headers
        and on_wire is not None
        and on_wire > declared
    ):
        raise _lying_length(declared, f"the server sent at least {on_wire}")
    return decoder.finish(), raw


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "").split(",")[0].strip()
    return int(value) if value.isdigit() else None


def _lying_length(declared: int, sent: str) -> FeedError:
    return FeedError(
        ErrorKind.TOO_LARGE, f"lying Content-Length: declared {declared} bytes, {sent}"
    )


class BoundedDecoder:
    """Undo Content-Encoding (identity, gzip, deflate) without ever holding more than the cap.

    zlib is asked for at most `max_bytes + 1` bytes per step, so a gzip bomb
    stops at the cap instead of inflating a whole network chunk a thousandfold.
    """

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        codings = [
            c.strip().lower()
            for c in (content_encoding or "").split(",")
            if c.strip().lower() not in ("", "identity")
        ]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FeedError(ErrorKind.NETWORK, f"unsupported Content-Encoding {content_encoding!r}")
        self._coding = codings[0] if codings else "identity"
        self._max = max_bytes
        self._out = bytearray()
        self._pending = b""  # deflate: bytes held until the zlib/raw header can be told apart
        self._zlib: Any = zlib.decompressobj(wbits=31) if self._coding.endswith("gzip") else None
        self._seen_input = False

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._seen_input = True
        if self._coding == "identity":
            self._append(data)
            return
        if self._zlib is None:  # deflate: zlib-wrapped per the RFC, raw from some servers
            data = self._pending + data
            if len(data) < 2:
                self._pending = data
                return
            self._pending = b""
            wrapped = (data[0] & 0x0F) == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(wbits=15 if wrapped else -15)
        self._inflate(data)

    def finish(self) -> bytes:
        if self._coding != "identity" and self._seen_input:
            if self._pending:
                self._inflate_first_pending()
            if self._zlib is None or not self._zlib.eof:
                raise FeedError(ErrorKind.NETWORK, f"the {self._coding} body ended early")
        return bytes(self._out)

    def _inflate_first_pending(self) -> None:
        data, self._pending = self._pending, b""
        self._zlib = zlib.decompressobj(wbits=-15)
        self._inflate(data)

    def _inflate(self, data: bytes) -> None:
        try:
            while data:
                if self._zlib.eof:
                    if self._coding == "deflate" or not b"\x1f\x8b".startswith(data[:2]):
                        return  # padding or junk after the stream: ignored, as browsers do
                    self._zlib = zlib.decompressobj(wbits=31)  # the next gzip member
                self._append(self._zlib.decompress(data, self._max - len(self._out) + 1))
                data = self._zlib.unconsumed_tail or (
                    self._zlib.unused_data if self._zlib.eof else b""
                )
        except zlib.error as exc:
            raise FeedError(
                ErrorKind.NETWORK, f"could not decompress the {self._coding} body: {exc}"
            ) from exc

    def _append(self, data: bytes) -> None:
        self._out += data
        if len(self._out) > self._max:
            raise FeedError(
                ErrorKind.TOO_LARGE,
                f"body exceeds the {self._max} byte limit (counted after decompression)",
            )
