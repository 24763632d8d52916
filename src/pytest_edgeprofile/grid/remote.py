"""Starting a browser session on a Grid, bounded by how long the request may wait in the Grid's session queue.

The Python client has no HTTP timeout of its own: a new-session request waits as long as the Grid keeps it queued
(its ``--session-request-timeout``, 300 s by default). Here the client's timeout for that one request is
``queue_timeout``; the session's later commands get no client timeout again (a page load may take long). Measured
on Grid 4.48: when the client gives up, the Grid drops the queued request, so no session appears later; and a
request no node can match (a ``platformName`` no node has) waits in the queue too, unless the Grid runs with
``--reject-unsupported-caps``.
"""

from __future__ import annotations

from typing import Any

from selenium import webdriver
from selenium.common.exceptions import SessionNotCreatedException, WebDriverException
from selenium.webdriver.chromium.options import ChromiumOptions
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.command import Command
from urllib3.exceptions import HTTPError, ReadTimeoutError

from ..errors import BrowserStartError, GridError, first_line
from .http import base_url

GRID_QUEUE_TIMEOUT = "session request timed out"  # the Grid's own queue timeout ended the request first


class GridDriver(webdriver.Remote):
    """A session on a Grid that also offers what ``webdriver.Edge``/``webdriver.Chrome`` offer locally and the
    plugin uses: ``execute_cdp_cmd`` (inherited; the Grid routes it to the node's driver) and ``get_log``, the
    browser console for failure artifacts."""

    grid_url: str = ""

    def get_log(self, log_type: str) -> list[dict[str, Any]]:
        return list(self.execute(Command.GET_LOG, {"type": log_type})["value"])


def start_remote(url: str, options: ChromiumOptions, queue_timeout: float) -> GridDriver:
    """A ``webdriver.Remote`` session on the Grid at ``url`` with ``options`` (see ``capabilities.remote_options``).

    BrowserStartError (not retryable) when no slot took the request within ``queue_timeout`` seconds, naming the
    queue; BrowserStartError when the node failed to start the browser; GridError when the Grid does not answer.
    """
    root = base_url(url)
    browser = str(options.capabilities.get("browserName", "the browser"))
    config = ClientConfig(remote_server_addr=root, timeout=queue_timeout)  # type: ignore[arg-type]
    try:
        driver = GridDriver(command_executor=root, options=options, client_config=config)
    except ReadTimeoutError:
        raise _queue_error(root, browser, queue_timeout) from None
    except SessionNotCreatedException as exc:
        message = first_line(exc)
        if GRID_QUEUE_TIMEOUT in message.lower():
            raise _queue_error(root, browser, None) from None
        raise BrowserStartError(f"the Selenium Grid at {root} could not start a {browser} session: {message}") from None
    except WebDriverException as exc:
        raise BrowserStartError(
            f"the Selenium Grid at {root} could not start a {browser} session: {first_line(exc)}"
        ) from None
    except (HTTPError, OSError) as exc:  # refused, reset: urllib3 gives up after its retries
        raise GridError(
            f"the Selenium Grid at {root} did not answer the new session request ({exc.__class__.__name__}); "
            "check that the Grid is running and grid-url is its address.",
            root,
        ) from None
    driver.command_executor.client_config.reset_timeout()  # type: ignore[union-attr]
    driver.grid_url = root
    return driver


def _queue_error(root: str, browser: str, queue_timeout: float | None) -> BrowserStartError:
    """``queue_timeout`` None: the Grid's own ``--session-request-timeout`` ended the wait before ours."""
    waited = "until the Grid's own session-request-timeout" if queue_timeout is None else f"for {queue_timeout:g} s"
    error = BrowserStartError(
        f"the {browser} session request waited in the session queue of the Selenium Grid at {root} {waited} "
        "and no slot took it (every slot busy, or no node matching its capabilities); free or add slots (fewer "
        "workers, more nodes or max-sessions), check the capability setting, or raise grid-queue-timeout (and the "
        "Grid's --session-request-timeout)."
    )
    error.retryable = False  # another try waits in the same queue
    return error
