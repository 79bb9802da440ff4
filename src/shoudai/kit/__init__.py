"""Shared pure building blocks: errors, money, clock, working-day calendar, codes, crypto, audit."""
