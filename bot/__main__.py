"""Entry point for ``python -m bot``; kept tiny so start-up imports only what a command needs."""

from bot.cli import main

raise SystemExit(main())
