import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Facts read without being declared raise in the tests (goleaklint.facts.STRICT); set before
# goleaklint is imported, and inherited by the processes the tests start.
os.environ["GOLEAKLINT_STRICT_FACTS"] = "1"


@pytest.fixture
def enough_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine with more cores than any ``--jobs`` of the tests: no warning about it."""
    import goleaklint.engine

    monkeypatch.setattr(goleaklint.engine, "default_jobs", lambda: 64)
