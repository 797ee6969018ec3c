"""``python -m harness <step> --config ...``: see harness/cli.py."""

import sys

from harness.cli import main

sys.exit(main())
