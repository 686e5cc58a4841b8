"""Question → query terms → ranked chunks → quotes → passages."""
