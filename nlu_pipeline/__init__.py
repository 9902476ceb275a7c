"""The bot's NLU pipeline: custom Rasa 3.6 components and the data the model is measured on.

Modules that import Rasa (`encoder`, `classifier`) run in the Rasa runtime (Python 3.10) only;
`encoders` and `banking77` import nothing beyond numpy and the standard library.
"""
