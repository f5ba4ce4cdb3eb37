"""``python -m prodready_loadtest``: the same as ``prodready loadtest``."""

import sys

from prodready_loadtest.command import main

sys.exit(main())
