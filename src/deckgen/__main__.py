"""``deckgen`` and ``python -m deckgen``: the command line, started so that Ctrl-C at any moment,
even while the modules load, ends with one line and exit code 130, never a traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from .cli import main as run  # (the command line's modules take a while to load)
    except KeyboardInterrupt:
        print("deckgen: interrupted", file=sys.stderr)  # (as cli.INTERRUPTED)
        return 130
    return run()


if __name__ == "__main__":
    sys.exit(main())
