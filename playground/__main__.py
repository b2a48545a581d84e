"""`python -m playground`: see playground.launcher."""

import sys

from playground.launcher import main

sys.exit(main())
