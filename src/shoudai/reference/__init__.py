"""Reference data: divisions, banks, industries, size thresholds, the working-day calendar table."""
