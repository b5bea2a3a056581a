"""Channel facts: which receives signal shutdown."""

from __future__ import annotations

import pytest

from goleaklint.channels import is_quit_name


@pytest.mark.parametrize("name", [
    "done", "quit", "stopCh", "stopc", "donec", "closing", "shutdown_chan", "doneChan",
    "ctxDone", "STOP", "closeC", "killed", "terminate",
])
def test_names_that_signal_shutdown(name: str) -> None:
    assert is_quit_name(name)


@pytest.mark.parametrize("name", [
    "skills", "terminal", "audience", "killer", "undone_jobs_count_x", "determine", "results",
])
def test_names_that_merely_contain_a_quit_word(name: str) -> None:
    assert not is_quit_name(name)
