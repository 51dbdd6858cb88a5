"""``python -m typedorm.cli``: the same as the ``typedorm`` console script."""

from . import main

raise SystemExit(main())
