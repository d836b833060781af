"""``python -m flair_hpo``: the ``flair-hpo`` command, where the script is not on the PATH."""

import sys

from flair_hpo.cli import main

sys.exit(main())
