"""Charts of results. May import studies and every layer below."""
