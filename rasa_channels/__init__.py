"""Input channels loaded by the Rasa server (credentials.yml).

This package runs inside the Rasa process (Python 3.10, Rasa 3.6), so it imports only Rasa and
the standard library, never the app's code.
"""
