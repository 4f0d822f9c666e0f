"""The ``omskg`` command's entry point: loads the command line, then runs it.

A Ctrl-C while the libraries load (rdflib, pyoxigraph, pySHACL take about a second) would
otherwise end in a traceback, since :func:`omskg.cli.main` catches it only once running.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C


def main() -> int:
    """Run ``omskg`` with the process's arguments; return its exit code."""
    try:
        from omskg.cli import main as run

        return run()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
