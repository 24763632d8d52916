"""The golden copy's progress line: shown on a terminal for large copies, never in logs or captured output."""

from __future__ import annotations

import io

from pytest_edgeprofile.progress import MB, TerminalProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_large_copy_on_a_terminal_shows_one_line_rewritten_in_place() -> None:
    stream = Terminal()
    progress = TerminalProgress(stream, "edgeprofile: golden copy", interval=0)
    for done in (100 * MB, 200 * MB, 300 * MB):
        progress(done, 300 * MB)
    assert stream.getvalue() == (
        "\redgeprofile: golden copy: 100 of 300 MB (33%)\redgeprofile: golden copy: 200 of 300 MB (66%)"
        "\redgeprofile: golden copy: 300 of 300 MB (100%)\n"
    )


def test_small_copies_and_non_terminals_stay_silent() -> None:
    terminal, pipe = Terminal(), io.StringIO()
    TerminalProgress(terminal, "x")(1 * MB, 2 * MB)
    TerminalProgress(pipe, "x")(300 * MB, 300 * MB)
    assert terminal.getvalue() == "" and pipe.getvalue() == ""


def test_updates_are_throttled_but_the_last_one_always_shows() -> None:
    stream = Terminal()
    progress = TerminalProgress(stream, "copy", interval=3600)
    for done in range(1, 11):
        progress(done * 10 * MB, 100 * MB)
    lines = stream.getvalue().split("\r")[1:]
    assert lines == ["copy: 10 of 100 MB (10%)", "copy: 100 of 100 MB (100%)\n"]
