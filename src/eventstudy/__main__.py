"""``python -m eventstudy``: the ``eventstudy`` command."""

import sys

from eventstudy.cli import main

sys.exit(main())
