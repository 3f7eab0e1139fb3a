"""``python -m kropbot_remote``: the same as the ``remote`` console script."""

import sys

from kropbot_remote.main import main

sys.exit(main())
