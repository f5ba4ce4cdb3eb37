"""The demo's catalog: copyright items, a CSV ingest endpoint and API tokens."""
