"""The data engine: subscriptions to clients, market data into cache and bus."""
