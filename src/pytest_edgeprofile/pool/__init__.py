"""The worker pool: the plugin's verified clones for scripts that do not run pytest (imports no pytest).

with ProfileAwareWorkerPool(workers=4, browser="edge", user_data_dir=..., profile="Default") as pool:
    titles = list(pool.map(read_title, urls))      # read_title(driver, url) runs in a worker process
"""

from __future__ import annotations

from .events import KINDS as EVENT_KINDS
from .events import PoolEvent
from .pool import ProfileAwareWorkerPool, RemoteTraceback

__all__ = ["EVENT_KINDS", "PoolEvent", "ProfileAwareWorkerPool", "RemoteTraceback"]
