"""The audit log: append-only, hash-chained; who did what to which record, when and why."""
