"""Fitting and calibration: the guardrail's judge and the retrieval threshold. Needs the
``.venv`` tools (scikit-learn); nothing at run time imports this package."""
