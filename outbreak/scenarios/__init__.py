"""Scenarios: agent-based model studies submitted, run and stored (the model itself
is :mod:`outbreak.model.abm`)."""
