"""The services tune glibc's malloc at start (one arena, a fixed mmap threshold); elsewhere the call changes nothing and says so."""
from __future__ import annotations

import platform

import pytest

from services.common import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is a glibc setting")
def test_malloc_is_tuned_on_glibc():
    assert memory.tune_malloc() is True


def test_without_a_c_library_nothing_is_changed(monkeypatch):
    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: None)
    assert memory.tune_malloc() is False
