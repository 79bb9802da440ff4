"""Outreach (L7): banks claim list entries, assign them to loan officers, and record each contact."""
