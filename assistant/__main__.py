"""`python -m assistant` runs the same entry point as the `assistant` script."""

from assistant.cli import main

raise SystemExit(main())
