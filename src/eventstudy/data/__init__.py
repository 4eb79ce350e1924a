"""Where returns come from: the committed snapshot, Yahoo, Kenneth French's library, the cache,
users' panel files, and the checks every price passes. May import: calendar, the foundation
(exceptions, defaults, formatting, progress)."""
