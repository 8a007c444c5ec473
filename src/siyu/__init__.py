"""siyu: the interaction layer of e-commerce live rooms."""

__version__ = "0.1.0"
