"""``python -m model``: see :mod:`model._cli`."""

import sys

from ._cli import main

sys.exit(main())
