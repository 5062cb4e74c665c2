"""Venue adapters: the client protocols, the sandbox venue and real venues."""
