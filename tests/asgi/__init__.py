"""Tests of the ASGI application: lifespan, drain on SIGTERM, pools across forks and faults."""
