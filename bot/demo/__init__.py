"""The deterministic demo portfolio."""
