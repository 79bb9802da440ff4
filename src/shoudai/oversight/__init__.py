"""Oversight (T1–T4, I1–I4): first-loan reports, targets, bulletins, assessment, subsidies, re-lending, compensation.

Money inside this package is an integer number of fen (分, 0.01 yuan): exact on SQLite and PostgreSQL alike and summed
in SQL without rounding. Files and screens show 万元 (1 万元 = 1,000,000 fen).
"""
