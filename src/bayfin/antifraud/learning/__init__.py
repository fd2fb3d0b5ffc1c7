"""Learning from outcomes: models, training tables, backtests and replays, the shadow model."""
