"""One router per /v1 area; the local server mounts all, each Lambda mounts its own."""
