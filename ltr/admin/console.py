"""Where progress goes: a bar on an interactive terminal, plain lines in a pipe or a file."""
from __future__ import annotations

import os
from typing import IO


def is_terminal(stream: IO) -> bool:
    """Whether ``stream`` is an interactive terminal that can show a progress bar: a tty with a width (a
    pseudo-terminal of zero columns, e.g. `script` started without a terminal, would show no bar at all)."""
    try:
        return stream.isatty() and os.get_terminal_size(stream.fileno()).columns > 0
    except (AttributeError, OSError, ValueError):  # no isatty or fileno, or not a terminal after all
        return False
