"""A pool script that the Ctrl-C test interrupts in the middle of ``map`` (its tasks each take a minute).

python -m tests.support.pool_interrupted SITE_URL USER_DATA_DIR CLONE_ROOT MARKS OUTPUT

The browser and its arguments come from the environment (PYTEST_EDGEPROFILE_BROWSER, PYTEST_EDGEPROFILE_ARG),
as they would for a user's script.
"""

from __future__ import annotations

import sys

from pytest_edgeprofile import ProfileAwareWorkerPool
from tests.support import pool_tasks as tasks

if __name__ == "__main__":
    site_url, base, clone_root, marks, output = sys.argv[1:]
    with ProfileAwareWorkerPool(workers=2, user_data_dir=base, clone_root=clone_root, output=output) as pool:
        print("pool started", flush=True)
        for result in pool.map(tasks.marked_account, [site_url] * 8, range(8), [marks] * 8, [60.0] * 8):
            print(result, flush=True)
