"""newsletter: compose, render and send the "India and the World" digest, exactly once."""

__version__ = "0.1.0"
