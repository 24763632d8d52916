"""The user's own browser, left running on a base: started like a person's, driven through its DevTools port."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.support.checks import wait_for

# The user's browser at work: run in a page after each load, it sets cookies and localStorage items. Chromium writes
# its cookie database every 30 s or after 512 changes, so a few loads make it commit while snapshots are taken.
WRITE_SCRIPT = """
const n = arguments[0];
for (let i = 0; i < 40; i++) { document.cookie = `w${n % 3}_${i}=${n}; max-age=3600; path=/`; }
for (let i = 0; i < 20; i++) { localStorage.setItem(`w${i}`, String(n).repeat(100)); }
"""


class LiveBrowser:
    """A Chromium open on ``user_data_dir`` (never started by the plugin) and a driver session attached to it.

    It restores the last session like a browser set to "continue where you left off", so the base's session cookie
    stays (a browser started without that drops session cookies from the base at once). Detaching the driver
    leaves the browser running.
    """

    def __init__(self, binary: Path, driver: Path, user_data_dir: Path, extra_args: Sequence[str]) -> None:
        self.user_data_dir = user_data_dir
        self.driver: webdriver.Chrome | None = None
        port_file = user_data_dir / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # left by the browser that signed in: names a port long closed
        args = [
            str(binary),
            f"--user-data-dir={user_data_dir}",
            "--headless=new",
            "--no-sandbox",
            "--restore-last-session",
            "--remote-debugging-port=0",
            *extra_args,
            "about:blank",
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait_for(lambda: port_file.is_file() and bool(port_file.read_text().strip()), 30):
                raise RuntimeError(f"chromium on {user_data_dir} did not open its DevTools port")
            options = webdriver.ChromeOptions()
            options.debugger_address = f"127.0.0.1:{port_file.read_text().split()[0]}"
            self.driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(driver)))
        except BaseException:
            self.close()
            raise

    @property
    def session(self) -> webdriver.Chrome:
        if self.driver is None:
            raise RuntimeError("no driver is attached")
        return self.driver

    def answers(self) -> bool:
        """The browser runs a script in its page and answers."""
        return self.process.poll() is None and self.session.execute_script("return 6 * 7") == 42

    def account(self, site: str) -> str:
        """The heading of the site's account page: 'Signed in as alice' when this browser is signed in."""
        self.session.get(f"{site}/account")
        found = self.session.find_elements(By.ID, "account")
        return found[0].text if found else f"not signed in (at {self.session.current_url})"

    def local_storage_on_disk(self, needle: bytes) -> bool:
        """Whether the browser has written ``needle`` into its Local Storage files (it commits after a delay)."""
        return self._on_disk("Local Storage/leveldb/*", needle)

    def indexeddb_on_disk(self, needle: bytes) -> bool:
        """Whether the browser has written ``needle`` into one of its IndexedDB LevelDB folders."""
        return self._on_disk("IndexedDB/*.indexeddb.leveldb/*", needle)

    def _on_disk(self, pattern: str, needle: bytes) -> bool:
        for path in (self.user_data_dir / "Default").glob(pattern):
            if path.suffix in (".log", ".ldb"):
                with contextlib.suppress(OSError):
                    if needle in path.read_bytes():
                        return True
        return False

    def close(self) -> None:
        if self.driver is not None:
            with contextlib.suppress(Exception):
                self.driver.quit()  # attached with debuggerAddress: the driver goes, the browser stays
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def read_only_view(source: Path, mount_point: Path) -> bool:
    """Bind-mount ``source`` read-only at ``mount_point``; False where mounting is not allowed (not root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    mount_point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "--bind", str(source), str(mount_point)], capture_output=True, check=False)
    if done.returncode != 0:
        return False
    remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(mount_point)], capture_output=True, check=False)
    if remount.returncode != 0:
        subprocess.run(["umount", str(mount_point)], check=False)
        return False
    return True


def unmount(mount_point: Path) -> None:
    subprocess.run(["umount", str(mount_point)], capture_output=True, check=False)
