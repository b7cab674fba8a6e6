"""Default configuration and guidance templates, shipped as package data (`monitor.defaults`)."""
