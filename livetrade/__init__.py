"""livetrade: run trading strategies live against real venues, in Python, on Trio."""

from livetrade._version import __version__ as __version__

__all__ = ["__version__"]
