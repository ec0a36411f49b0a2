"""FastAPI app factory, one router per /v1 area, dependencies and error rendering."""
