"""Tests of prodready.health."""
