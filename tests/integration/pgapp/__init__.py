"""A tiny Django project the integration tests run in child processes, one per scenario."""
