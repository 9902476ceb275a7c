"""Sending and receiving messages: SMS rendering, keywords, consent, the outbox and transports."""
