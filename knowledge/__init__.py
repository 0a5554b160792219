"""FAQ content per municipality, its validation, the embedding model and the retrieval index."""
