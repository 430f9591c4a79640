"""The collector pause used around reading, matching and writing large rounds."""

from __future__ import annotations

import gc

import pytest

from welcomematch.core.runtime import paused_gc


def test_the_collector_is_paused_inside_and_resumes_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: still paused, and the outer pause is kept
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_resumes_after_an_error() -> None:
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("bad round")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
