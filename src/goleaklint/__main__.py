"""``python -m goleaklint``."""

import sys

from .cli import main

sys.exit(main())
