"""Synthetic city generator: the three agency files, messy as the real ones, and the truth behind them."""

from shoudai.synth.city import CityResult, generate_city

__all__ = ["CityResult", "generate_city"]
