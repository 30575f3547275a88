"""Rasa-side NLU: the guardrail runs as a GraphComponent on every message."""
