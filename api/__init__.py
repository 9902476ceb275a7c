"""The FastAPI gateway: web chat, webhooks, console and health."""
