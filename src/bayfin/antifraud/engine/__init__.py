"""The decision engine: events, features, rules, lists and feature state → a decision (pure, no database)."""
