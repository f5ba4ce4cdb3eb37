"""User classes shared by several scenarios (abstract: Locust does not run them as such)."""

from __future__ import annotations

import random

from locust import FastHttpUser, constant

ITEMS = "/api/items/"


class ItemsReaderBase(FastHttpUser):
    """Read random pages of the catalogue as fast as the server answers (closed loop).

    The number of pages comes from the first page, read once per user at start.
    """

    abstract = True
    wait_time = constant(0)
    pages = 1

    def on_start(self) -> None:
        """Learn how many pages the catalogue has."""
        with self.client.get(ITEMS, name=f"{ITEMS} (first page)", catch_response=True) as answer:
            if answer.status_code == 200 and answer.content:
                self.pages = max(1, int(answer.json().get("pages", 1)))
            else:
                answer.failure(f"status {answer.status_code}")

    def read_page(self) -> None:
        """Read one random page."""
        self.client.get(f"{ITEMS}?page={random.randint(1, self.pages)}", name=ITEMS)  # noqa: S311
