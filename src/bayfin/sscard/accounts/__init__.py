"""Cards, cardholders, deposits, the double-entry ledger and electronic-card payments."""
