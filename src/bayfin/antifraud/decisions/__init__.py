"""Recording decisions: the decision rows, the batched writer, the after-commit announcement, totals."""
