import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Facts read without being declared raise in the tests (goleaklint.facts.STRICT); set before
# goleaklint is imported, and inherited by the processes the tests start.
os.environ["GOLEAKLINT_STRICT_FACTS"] = "1"
