"""Live updates: message events fanned out to WebSocket subscribers of their tenant.

Locally the server's own WebSocket endpoints; events from every server process reach
every subscriber through Redis pub/sub (in-process when no Redis). On AWS, connection ids
live in Redis and events go out through the API Gateway management API.
"""
