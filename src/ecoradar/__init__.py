"""EcoRadar: discover environmental pollution problems early and see each through to closure."""

__version__ = "0.1.0"
