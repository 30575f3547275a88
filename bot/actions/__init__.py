"""The action server (rasa-sdk): answers from the knowledge base, through the output check."""
