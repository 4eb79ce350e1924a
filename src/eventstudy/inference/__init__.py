"""Inference: single-event t tests and p-values, event-induced variance, and the multi-event test
statistics by family (parametric, rank, sign) with the chunked residual pass. May import:
calendar, the foundation."""
