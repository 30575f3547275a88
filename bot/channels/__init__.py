"""Input channels for Rasa (REST, Slack, health), each hardened the same way: see each module."""
