"""The dashboard server caps glibc's malloc arenas, and does nothing where there are none."""

import ctypes
import platform

import pytest

from dashboard.memory import ARENAS, M_ARENA_MAX, limit_malloc_arenas


class RecordingLibc:
    def __init__(self, answer: int) -> None:
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return self.answer


def test_the_arena_cap_is_asked_of_the_c_library() -> None:
    libc = RecordingLibc(answer=1)
    assert limit_malloc_arenas(libc=libc) is True
    assert libc.calls == [(M_ARENA_MAX, ARENAS)]


def test_a_refusal_or_a_library_without_mallopt_is_reported_not_raised() -> None:
    assert limit_malloc_arenas(libc=RecordingLibc(answer=0)) is False
    assert limit_malloc_arenas(libc=object()) is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="only glibc has malloc arenas")
def test_glibc_takes_the_setting() -> None:
    assert hasattr(ctypes.CDLL(None), "mallopt")
    assert limit_malloc_arenas() is True
