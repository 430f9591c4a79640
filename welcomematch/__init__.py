"""welcomematch: software for community sponsorship programmes."""

__version__ = "0.1.0"
