"""The services cap glibc's malloc arenas at start; elsewhere the call changes nothing and says so."""
from __future__ import annotations

import platform

import pytest

from services.common import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt arenas are a glibc setting")
def test_arenas_are_capped_on_glibc():
    assert memory.limit_malloc_arenas() is True


def test_without_a_c_library_nothing_is_changed(monkeypatch):
    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: None)
    assert memory.limit_malloc_arenas() is False
