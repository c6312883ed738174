"""Background work: RQ queues, the periodic schedule and its fan-out, and the job functions."""
