"""``python -m tools COMMAND ...``: see :mod:`tools.commands` (``python -m tools --help``)."""

import sys

from .commands import main

sys.exit(main())
