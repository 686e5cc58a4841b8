"""Entry point for ``python -m bot``; kept tiny so start-up imports only what a command needs."""

from bot.cli import main

if __name__ == "__main__":  # not when a build's helper process imports this module (spawn)
    raise SystemExit(main())
