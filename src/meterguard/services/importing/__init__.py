"""``meterguard import DIR``: validate a whole folder, then write it in one transaction."""
