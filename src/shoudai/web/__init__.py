"""The web platform: FastAPI app, server-rendered Chinese pages (English a switch away), JSON API."""
