"""Core of the collections assistant: domain, services, policy, persistence and clients."""
