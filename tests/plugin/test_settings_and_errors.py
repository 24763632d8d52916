"""The plugin as users meet it: settings in all three spellings, the header, and one sentence per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browsers import TEST_BROWSER

PLAIN_TEST = "def test_plain():\n    assert True\n"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def assert_one_sentence_error(result: pytest.RunResult, expected: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert errors == [f"ERROR: pytest-edgeprofile: {expected}"]
    assert "Traceback" not in result.stderr.str() and "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("how", "source"),
    [
        ("cli", "--edgeprofile-browser"),
        ("env", "env PYTEST_EDGEPROFILE_BROWSER"),
        ("ini", "edgeprofile_browser in pytest.ini"),
    ],
)
def test_unknown_browser_names_the_valid_ones_and_where_it_came_from(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str, source: str
) -> None:
    pytester.makepyfile(PLAIN_TEST)
    args: list[str] = []
    if how == "cli":
        args = ["--edgeprofile-browser", "firefox"]
    elif how == "env":
        monkeypatch.setenv("PYTEST_EDGEPROFILE_BROWSER", "firefox")
    else:
        pytester.makefile(".ini", pytest="[pytest]\nedgeprofile_browser = firefox\n")
    result = run(pytester, *args)
    assert_one_sentence_error(
        result, f"browser is 'firefox' (from {source}); valid values are: edge, chrome, chromium."
    )


def test_cli_beats_env_beats_ini_and_the_header_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makepyfile(PLAIN_TEST)
    pytester.makefile(".ini", pytest="[pytest]\nedgeprofile_browser = firefox\nedgeprofile_profile = Ini Profile\n")
    monkeypatch.setenv("PYTEST_EDGEPROFILE_BROWSER", "chrome")
    monkeypatch.setenv("PYTEST_EDGEPROFILE_CLONE_ROOT", str(tmp_path / "env root"))
    result = run(pytester, "--edgeprofile-browser", "chromium", "--edgeprofile-user-data-dir", str(tmp_path / "x"))
    # The settings resolve (firefox in the ini is overridden), then the preflight refuses the missing base.
    assert_one_sentence_error(
        result,
        f"the base user data dir {tmp_path / 'x'} (from --edgeprofile-user-data-dir) does not exist; set "
        "--edgeprofile-user-data-dir to the browser's 'User Data' folder (chrome://version shows it as the parent "
        "of 'Profile path').",
    )


def test_header_shows_browser_base_and_clone_root_with_their_sources(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makepyfile(PLAIN_TEST)
    monkeypatch.setenv("PYTEST_EDGEPROFILE_CLONE_ROOT", str(tmp_path / "clones"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = run(pytester, "-p", "no:xdist")
    # Only the env var is set, so nothing is checked yet, and a test run without browsers is untouched.
    result.stdout.fnmatch_lines(
        [
            f"edgeprofile: browser edge (default), base {tmp_path / 'config' / 'microsoft-edge'} profile Default "
            f"(checked when a test first needs it), clone root {tmp_path / 'clones'} "
            "(env PYTEST_EDGEPROFILE_CLONE_ROOT)"
        ]
    )
    result.assert_outcomes(passed=1)
    assert not (tmp_path / "clones").exists() or list((tmp_path / "clones").iterdir()) == []


def test_a_run_without_browser_tests_needs_no_profile_at_all(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytester.makepyfile(PLAIN_TEST)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no browser here"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=1)
    assert not any(p.name.startswith("pytest-edgeprofile") for p in tmp_path.iterdir())


def test_the_plugin_can_be_turned_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_uses(edge_driver):\n    pass\n")
    result = run(pytester, "-p", "no:edgeprofile", "--edgeprofile-browser", "firefox")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unrecognized arguments: --edgeprofile-browser" in result.stderr.str()


def test_a_missing_base_stops_the_run_before_any_worker_or_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile("def test_uses(edge_driver):\n    raise AssertionError('must not run')\n")
    missing = tmp_path / "Jürgen's profile" / "User Data"
    result = run(
        pytester,
        "-n",
        "2",
        "--edgeprofile-browser",
        "chromium",
        "--edgeprofile-user-data-dir",
        str(missing),
        "--edgeprofile-clone-root",
        str(tmp_path / "c"),
    )
    assert_one_sentence_error(
        result,
        f"the base user data dir {missing} (from --edgeprofile-user-data-dir) does not exist; set "
        "--edgeprofile-user-data-dir to the browser's 'User Data' folder (chrome://version shows it as the parent "
        "of 'Profile path').",
    )
    assert "must not run" not in result.stdout.str()


def test_a_missing_driver_is_one_sentence(pytester: pytest.Pytester, base_profile: Path, tmp_path: Path) -> None:
    pytester.makepyfile(PLAIN_TEST)
    result = run(
        pytester,
        "--edgeprofile-browser",
        TEST_BROWSER,
        "--edgeprofile-user-data-dir",
        str(base_profile),
        "--edgeprofile-driver",
        str(tmp_path / "no-driver"),
        "--edgeprofile-clone-root",
        str(tmp_path / "c"),
    )
    assert_one_sentence_error(
        result,
        f"the driver {tmp_path / 'no-driver'} (from --edgeprofile-driver) does not exist; fix the path or unset it.",
    )


def test_with_no_setting_a_missing_browser_is_said_once_per_worker_and_once_in_the_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing set, so no up-front check: each worker finds out alone (here: no Edge), and its tests point at one
    sentence."""
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.parametrize('n', range(6))\ndef test_uses(edge_driver, n):\n    pass\n"
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no browser here"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    result = run(pytester, "-n", "2")
    result.assert_outcomes(errors=6)
    output = result.stdout.str()
    sentence = "no edge (stable) executable found"
    before_summary, after_header = output.split("= edgeprofile =")
    # pytest's short test summary repeats each error's message (untruncated where CI is set): not ours to count.
    in_summary = after_header.split("short test summary info")[0].count(sentence)
    in_tests = before_summary.count(sentence)
    assert (in_tests, in_summary) == (2, 1), output
    assert before_summary.count("has no usable clone; why is said once") == 4
    result.stdout.fnmatch_lines([f"gw0, gw1: *{sentence}*"])
