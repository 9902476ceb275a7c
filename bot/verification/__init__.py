"""Confirming that the person in a conversation is the cardholder."""
