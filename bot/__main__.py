"""Entry point for ``python -m bot``; kept tiny so start-up imports only what a command needs."""

from bot.cli import main

if __name__ == "__main__":  # importable without side effects (e.g. by multiprocessing)
    raise SystemExit(main())
