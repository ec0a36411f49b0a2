"""Use cases: each module is one area of the service, called by HTTP and Lambda alike."""
