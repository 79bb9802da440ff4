"""Loan code (新享贷款码), needs, identity, routing and the 211 workflow (Q1–Q7)."""
