"""BoundedDecoder: Content-Encoding undone in bounded steps, whatever the chunking."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.errors import ErrorKind, FeedError
from ingest.http_body import BoundedDecoder

DOC = ("<rss>" + "Теракт предотвращён в Актобе. " * 400 + "</rss>").encode()


def decode(encoding: str | None, data: bytes, max_bytes: int = 1 << 20, step: int = 4096) -> bytes:
    decoder = BoundedDecoder(encoding, max_bytes)
    for start in range(0, len(data), step):
        decoder.feed(data[start : start + step])
    return decoder.finish()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        (None, DOC),
        ("identity", DOC),
        ("gzip", gzip.compress(DOC)),
        ("x-gzip", gzip.compress(DOC)),
        ("GZIP", gzip.compress(DOC)),
        ("deflate", zlib.compress(DOC)),  # zlib-wrapped, as the RFC says
        ("deflate", raw_deflate(DOC)),  # raw, as some servers send it
        ("gzip", gzip.compress(DOC[:100]) + gzip.compress(DOC[100:])),  # two members
        ("gzip", gzip.compress(DOC) + b"\x00\x00\x00"),  # padding after the member
        ("gzip", gzip.compress(DOC) + b"<!-- junk -->"),  # junk after it: ignored like browsers
        ("deflate", zlib.compress(DOC) + b"junk"),
    ],
)
def test_supported_encodings_round_trip(encoding: str | None, encoded: bytes) -> None:
    assert decode(encoding, encoded) == DOC


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(gzip.compress(DOC))), max_size=12),
    encoding=st.sampled_from(["gzip", "deflate", "identity"]),
)
def test_chunk_boundaries_do_not_matter(cuts: list[int], encoding: str) -> None:
    encoded = {"gzip": gzip.compress, "deflate": zlib.compress, "identity": bytes}[encoding](DOC)
    points = sorted({0, len(encoded), *(min(c, len(encoded)) for c in cuts)})
    decoder = BoundedDecoder(encoding, 1 << 20)
    for start, end in pairwise(points):
        decoder.feed(encoded[start:end])
    assert decoder.finish() == DOC


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
def test_the_cap_counts_decoded_bytes(encoding: str | None) -> None:
    encoded = {None: DOC, "gzip": gzip.compress(DOC), "deflate": zlib.compress(DOC)}[encoding]
    assert decode(encoding, encoded, max_bytes=len(DOC)) == DOC
    with pytest.raises(FeedError) as caught:
        decode(encoding, encoded, max_bytes=len(DOC) - 1)
    assert caught.value.kind is ErrorKind.TOO_LARGE


def test_a_gzip_bomb_stops_at_the_cap_without_inflating() -> None:
    compressor = zlib.compressobj(wbits=31)
    zeros = bytes(1 << 20)
    bomb = b"".join(compressor.compress(zeros) for _ in range(200)) + compressor.flush()
    assert len(bomb) < 250_000  # 200 MiB of zeros in a few hundred KiB

    tracemalloc.start()
    try:
        with pytest.raises(FeedError) as caught:
            decode("gzip", bomb, max_bytes=1 << 20, step=65536)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.kind is ErrorKind.TOO_LARGE
    assert peak < 8 << 20  # never near the 200 MiB it would inflate to


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("gzip", gzip.compress(DOC)[:-20]),  # cut short
        ("gzip", b"this is not gzip at all"),
        ("deflate", b"\xff\xfe garbage"),
        ("gzip", gzip.compress(DOC) + gzip.compress(DOC)[:20]),  # second member cut short
    ],
)
def test_broken_compressed_bodies_are_network_errors(encoding: str, data: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        decode(encoding, data)
    assert caught.value.kind is ErrorKind.NETWORK


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, gzip", "compress"])
def test_unsupported_encodings_are_refused(encoding: str) -> None:
    with pytest.raises(FeedError) as caught:
        BoundedDecoder(encoding, 100)
    assert caught.value.kind is ErrorKind.NETWORK
    assert encoding in caught.value.message


def test_an_empty_compressed_body_is_empty() -> None:
    assert decode("gzip", b"") == b""
