"""Engine logic that needs no Discord: actions, handlers and the decisions behind them."""
