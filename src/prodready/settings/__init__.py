"""Typed profiles and the pure builders that turn them into Django settings."""
