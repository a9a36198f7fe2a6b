"""`python -m melnev ...` runs the `melnev` command."""

import sys

from melnev.cli import main

sys.exit(main())
