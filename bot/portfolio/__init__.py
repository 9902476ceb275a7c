"""Portfolio intake: the bank's daily account and payment feeds, validated and applied."""
