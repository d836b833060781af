"""``python -m flair_hpo.cli``: the ``flair-hpo`` command."""

import sys

from flair_hpo.cli.main import main

sys.exit(main())
