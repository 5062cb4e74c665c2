"""Actors, strategies, the trader, the order factory and the portfolio."""
