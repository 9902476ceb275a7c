"""Cardholders, their card accounts and payments."""
