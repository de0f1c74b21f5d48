"""The process's surroundings: how WeasyPrint's shared libraries are found."""

from __future__ import annotations

import ctypes.util
import os
import sys

import pytest

from onepagers import environment

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.exists("/sbin/ldconfig"), reason="ldconfig's cache is Linux's")


def test_the_quick_lookup_finds_what_ctypes_finds_for_weasyprints_libraries():
    names = ["gobject-2.0", "pango-1.0", "harfbuzz", "harfbuzz-subset", "fontconfig", "pangoft2-1.0"]
    expected = {name: ctypes.util.find_library(name) for name in names}
    assert any(expected.values()), "WeasyPrint's libraries are installed on this machine"
    with environment.shared_libraries_from_ldconfig():
        assert {name: ctypes.util.find_library(name) for name in names} == expected


def test_a_spelling_of_another_system_is_answered_without_running_gcc(monkeypatch):
    ran = []
    monkeypatch.setattr(ctypes.util, "_findLib_gcc", lambda name: ran.append(name), raising=False)
    monkeypatch.setattr(ctypes.util, "_findLib_ld", lambda name: ran.append(name), raising=False)
    original = ctypes.util.find_library
    with environment.shared_libraries_from_ldconfig():
        assert ctypes.util.find_library("libgobject-2.0-0") is None  # the Windows DLL's name
    assert ran == []
    assert ctypes.util.find_library is original  # put back after the import


def test_a_library_outside_the_cache_is_found_on_ld_library_path(monkeypatch, tmp_path):
    library = tmp_path / "libonepagers-test-1.0.so.0"
    library.write_bytes(b"")
    monkeypatch.setenv("LD_LIBRARY_PATH", f"/nonexistent:{tmp_path}")
    with environment.shared_libraries_from_ldconfig():
        assert ctypes.util.find_library("onepagers-test-1.0") == str(library)
        assert ctypes.util.find_library("onepagers-test-2.0") is None
