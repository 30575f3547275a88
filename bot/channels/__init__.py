"""Input channels for Rasa: REST (and, later, socket.io and Slack), each hardened the same way."""
