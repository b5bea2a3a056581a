import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def enough_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine with more cores than any ``--jobs`` of the tests: no warning about it."""
    import goleaklint.engine

    monkeypatch.setattr(goleaklint.engine, "default_jobs", lambda: 64)
