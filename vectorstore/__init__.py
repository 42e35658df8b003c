"""The expert index: profiles, embeddings and search over Chroma."""
