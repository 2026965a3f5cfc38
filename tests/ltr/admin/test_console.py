"""A progress bar only where it can be seen: a terminal with a width."""
import fcntl
import io
import os
import pty
import struct
import termios

from ltr.admin.console import is_terminal


def test_a_terminal_with_columns_shows_a_bar_and_anything_else_gets_lines(tmp_path):
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        for columns, shows_a_bar in ((120, True), (0, False)):  # 0 columns: e.g. `script` run from a pipe
            fcntl.ioctl(leader, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
            assert is_terminal(terminal) is shows_a_bar
    os.close(leader)
    with open(tmp_path / "log", "w") as log:
        assert not is_terminal(log)
    assert not is_terminal(io.StringIO()) and not is_terminal(object())
