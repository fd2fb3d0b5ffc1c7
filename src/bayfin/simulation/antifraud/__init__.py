"""Anti-fraud simulators: a labelled bank event stream and the handbook's card-transaction profile."""
