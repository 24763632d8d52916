"""Make a logged-in base profile the way a user does: run the real browser, sign in on the form, close it.

python -m demo.baseprofile DIR --site URL
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from demo.site import PASSWORD, USERNAME

# For a machine without internet (CI, this project's own): no background traffic, and DNS answered at once,
# since a resolver that cannot be reached stalls a browser's first navigation by 1 to 5 s.
CLOSED_NETWORK_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
QUIET_ARGS = (*CLOSED_NETWORK_ARGS, "--no-first-run", "--no-default-browser-check")


def find_chromium() -> tuple[str, str]:
    """Local Chromium and chromedriver (Debian's packages, or whatever is on PATH)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        sys.exit("chromium and chromedriver are needed: apt-get install -y chromium chromium-driver")
    return binary, driver


def make_base_profile(
    user_data_dir: Path,
    site_url: str,
    *,
    binary: str | None = None,
    driver: str | None = None,
    profile_directory: str = "Default",
    timeout: float = 30.0,
    browser: str = "chromium",
) -> Path:
    """Sign in to ``site_url`` in a real browser on ``user_data_dir`` and close it cleanly.

    ``browser`` is the plugin's name for it (chromium, chrome or edge): Edge is driven through msedgedriver.
    """
    found_binary, found_driver = find_chromium() if not (binary and driver) else (binary, driver)
    options: webdriver.ChromeOptions | webdriver.EdgeOptions = (
        webdriver.EdgeOptions() if browser == "edge" else webdriver.ChromeOptions()
    )
    options.binary_location = binary or found_binary
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.add_argument(f"--profile-directory={profile_directory}")
    options.add_argument("--headless=new")
    for arg in QUIET_ARGS:
        options.add_argument(arg)
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    # A user's own browser runs without the driver's throwaway-profile switches; so does this one.
    options.add_experimental_option("excludeSwitches", ["password-store", "use-mock-keychain"])
    session: webdriver.Chrome | webdriver.Edge
    if isinstance(options, webdriver.EdgeOptions):
        session = webdriver.Edge(options=options, service=webdriver.EdgeService(driver or found_driver))
    else:
        session = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver or found_driver))
    try:
        session.get(f"{site_url}/login")
        session.find_element(By.ID, "username").send_keys(USERNAME)
        session.find_element(By.ID, "password").send_keys(PASSWORD)
        session.find_element(By.ID, "sign-in").click()
        WebDriverWait(session, timeout).until(expected_conditions.presence_of_element_located((By.ID, "account")))
    finally:
        session.quit()
    # The profile is only safe to copy once the browser has really exited and released its lock (Windows:
    # "lockfile", held open while the browser runs; elsewhere the SingletonLock link).
    lock = user_data_dir / ("lockfile" if sys.platform == "win32" else "SingletonLock")
    deadline = time.monotonic() + timeout
    while os.path.lexists(lock) and _held(lock):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the browser on {user_data_dir} did not exit within {timeout:.0f} s")
        time.sleep(0.05)
    return user_data_dir


def _held(lock: Path) -> bool:
    """Whether a browser still holds ``lock``: on Windows a closed browser's lockfile stays, but can be removed."""
    if sys.platform != "win32":
        return True
    try:
        lock.unlink()
    except OSError:
        return True
    return False


def main() -> None:
    from demo.site import LoginSite

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("user_data_dir", type=Path)
    parser.add_argument("--site", help="URL of the login site (default: start one for the login)")
    args = parser.parse_args()
    site = None if args.site else LoginSite().start()
    try:
        make_base_profile(args.user_data_dir, args.site or site.url)  # type: ignore[union-attr]
    finally:
        if site is not None:
            site.stop()
    print(f"logged-in base profile ready in {args.user_data_dir}")


if __name__ == "__main__":
    main()
