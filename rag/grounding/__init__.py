"""Grounding: what the model may claim, and the check that each claim is in its source."""
