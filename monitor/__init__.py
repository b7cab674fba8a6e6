"""Social-media monitoring daemon for small counselling and community organisations."""

__version__ = "0.1.0"
