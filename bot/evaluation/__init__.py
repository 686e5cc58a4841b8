"""``python -m bot eval``: how well the engine answers a question set, next to plain BM25.

Outside the pure core on purpose: it judges the core from the outside (the same
``Engine.ask`` every user gets) and depends on things the bot never needs at run time
(baselines, reports). ``bot.core`` must never import this package.

- :mod:`bot.evaluation.questions`: loading YAML and SQuAD-style JSON Lines question sets;
- :mod:`bot.evaluation.units`: the text units systems return and how answers are matched;
- :mod:`bot.evaluation.metrics`: the figures and the kinds of misses;
- :mod:`bot.evaluation.baselines`: plain BM25 over paragraphs, sentences and quote windows;
- :mod:`bot.evaluation.runner`: running the engine and baselines over one question set;
- :mod:`bot.evaluation.report`: the printed table and the ``--json`` file.
"""
