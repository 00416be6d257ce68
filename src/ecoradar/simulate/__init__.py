"""Synthetic data for demos, tests and benchmarks: a sample city written as importable files."""

from ecoradar.simulate.city import SampleCityFiles, write_sample_city

__all__ = ["SampleCityFiles", "write_sample_city"]
