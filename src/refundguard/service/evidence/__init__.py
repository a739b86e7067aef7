"""Evidence files: a content-addressed store on disk plus one row per attachment to a claim."""
