"""Handing conversations to human collectors."""
