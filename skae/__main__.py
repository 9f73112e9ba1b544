"""``python -m skae``: the ``skae`` command line."""

from skae.cli import main

raise SystemExit(main())
