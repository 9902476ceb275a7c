"""Conversations with cardholders and every message in them."""
