"""Text analysis: one analyzer for documents and questions, and the word lists it uses."""
