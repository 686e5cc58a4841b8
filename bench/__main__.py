"""``python -m bench`` (from the repository root): the benchmark, see ``bench/run.py``."""

from bench.run import main

if __name__ == "__main__":
    raise SystemExit(main())
