"""Helpers shared by the test suite (tests import helpers from here only, never from a test module or a conftest):
the browser under test and its quiet arguments, the ``edgeprofile`` command, inner pytest runs, a daily profile's
files, digests of profile trees, waiting on conditions, process checks, the user's own live browser."""
