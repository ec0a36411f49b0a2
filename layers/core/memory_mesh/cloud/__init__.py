"""Adapters between AWS Lambda and the runtime: one runtime per container, secrets, SQS
jobs, the WebSocket routes, the deploy-time migration, and a local SQS trigger.

Only ``functions/*/app.py`` (and the local poller) import this package; the local server
never does, so nothing here is loaded by ``memory-mesh serve``.
"""
