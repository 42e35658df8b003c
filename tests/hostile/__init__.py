"""Bad and hostile input: property-based tests, the injection corpus, export escaping."""
