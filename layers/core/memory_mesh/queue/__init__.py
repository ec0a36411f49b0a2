"""Embedding job queue behind one protocol: in-process (local) now, SQS in the cloud."""
