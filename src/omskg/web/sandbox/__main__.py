"""``python -m omskg.web.sandbox SOURCE FD MAX_BYTES``: one query worker of the pool
(:func:`omskg.web.sandbox.worker.worker_main`). Started through the package rather than as
``-m omskg.web.sandbox.worker``, which the package has already imported, and which runpy
would then run a second time, with a warning on standard error."""

import sys

from omskg.web.sandbox.worker import worker_main

sys.exit(worker_main(sys.argv[1:]))
