"""Knowledge files → documents, aliases, sentences and chunks (the first steps of the data flow)."""
