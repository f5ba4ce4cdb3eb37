"""``python -m prodready.loadtest``: the same as ``prodready loadtest``."""

import sys

from prodready.loadtest.command import main

sys.exit(main())
