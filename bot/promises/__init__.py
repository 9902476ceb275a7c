"""Promises to pay and claims of payment already made."""
