"""Pre-trade risk: trading state, throttles and order checks (pure)."""
