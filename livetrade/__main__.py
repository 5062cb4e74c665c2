"""``python -m livetrade``: the same command line as the ``livetrade`` script."""

from __future__ import annotations

from livetrade.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
