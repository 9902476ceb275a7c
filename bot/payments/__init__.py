"""Payment links to the bank's own payment page."""
