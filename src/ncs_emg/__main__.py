"""``python -m ncs_emg`` runs the ``ncs-emg`` command."""

import sys

from .cli import main

sys.exit(main())
