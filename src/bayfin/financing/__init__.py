"""The financing marketplace: products, demands, matching (pure) and applications."""
