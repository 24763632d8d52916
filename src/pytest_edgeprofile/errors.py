"""The public error vocabulary: every error names the path or profile it concerns and what to do."""

from __future__ import annotations

from pathlib import Path


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (Selenium's ``msg`` first), or its class name when it has none:
    driver and OS errors carry stack traces and capability dumps that a one-sentence error must not repeat."""
    text = str(getattr(exc, "msg", None) or "" if hasattr(exc, "msg") else exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


class ProfileError(Exception):
    """Base class of every error about a browser profile, its clones or the browser started on them."""

    retryable = False  # True where a fresh clone and another try can help (a browser start, a clone's check)

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from the message and attributes, not by calling __init__ again (subclasses take more arguments):
        # the pool sends these errors from its worker processes to the caller.
        return (_rebuild, (type(self), self.message), self.__dict__)


def _rebuild(cls: type[ProfileError], message: str) -> ProfileError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    return error


class SettingsError(ProfileError):
    """A setting has a value the plugin cannot use; ``source`` says where the value came from."""

    def __init__(self, message: str, setting: str, source: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.source = source


class ProfileNotFoundError(ProfileError):
    """The base user data dir or the profile inside it does not exist."""

    def __init__(self, message: str, path: Path | str | None = None, profile: str | None = None) -> None:
        super().__init__(message, path)
        self.profile = profile


class ProfileInUseError(ProfileError):
    """A running browser holds the base profile; ``pid`` and ``program`` name it when known."""

    def __init__(
        self, message: str, path: Path | str | None = None, pid: int | None = None, program: str | None = None
    ) -> None:
        super().__init__(message, path)
        self.pid = pid
        self.program = program


class ProfileCorruptError(ProfileError):
    """A file the browser needs (Local State, Preferences, a database) cannot be read or parsed."""


class CloneError(ProfileError):
    """Making the golden copy or a worker clone failed."""


class BrowserNotFoundError(ProfileError):
    """The browser or its driver executable cannot be found or run."""


class BrowserStartError(ProfileError):
    """The browser did not start on a clone (it may on a fresh clone)."""

    retryable = True


class VerificationError(ProfileError):
    """A clone failed a verification check; ``check`` names it."""

    def __init__(
        self, message: str, path: Path | str | None = None, check: str | None = None, critical: bool = True
    ) -> None:
        super().__init__(message, path)
        self.check = check
        self.critical = critical  # False: the clone still works (a warning), e.g. a damaged autofill database
        self.retryable = True  # a worker's clone that fails a check is re-cloned and checked again


class LoginStateError(ProfileError):
    """Reading a profile's login state (cookies, localStorage) or writing it into a browser failed."""


class BrowserContextError(ProfileError):
    """Opening or closing a test's own browser context (``isolation context``) failed. ``browser_gone`` True: the
    browser no longer answers and must be replaced; False: it still works (the state could not be written)."""

    retryable = True  # a new browser (or a new context in the same one) can help

    def __init__(self, message: str, path: Path | str | None = None, browser_gone: bool = True) -> None:
        super().__init__(message, path)
        self.browser_gone = browser_gone


class GridError(ProfileError):
    """A Selenium Grid cannot run this run's browsers: down, unreachable, not ready, or without the browser asked
    for; ``url`` is the Grid's address."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class WorkerLostError(ProfileError):
    """A pool worker process ended (killed, crashed) while it ran a task that is not retried; ``worker``, ``pid``
    and ``exitcode`` name it, ``path`` its clone."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        worker: str | None = None,
        pid: int | None = None,
        exitcode: int | None = None,
    ) -> None:
        super().__init__(message, path)
        self.worker = worker
        self.pid = pid
        self.exitcode = exitcode
