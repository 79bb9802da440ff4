"""Server-rendered pages, one module per area."""
