"""Helpers shared by the test suite: digests of profile trees, waiting on conditions, process checks."""
