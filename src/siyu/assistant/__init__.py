"""AI live assistant: grounded answers from the live catalog, moderation, recommendations."""
