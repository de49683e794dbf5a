"""``python -m app.cli``: the same as the ``photoseek`` command."""

import sys

from app.cli.entry import main

sys.exit(main())
