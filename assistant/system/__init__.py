"""Host plumbing: where files live, logs, offline mode, disk space."""
