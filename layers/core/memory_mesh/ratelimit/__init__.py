"""Rate limiting on Redis (shared by every server process) or in memory."""
