"""HTTP API routes, pages and static assets."""
