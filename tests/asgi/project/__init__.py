"""A tiny Django project served by real uvicorn processes in the ASGI tests."""
