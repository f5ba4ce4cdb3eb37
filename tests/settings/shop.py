"""A project's own profile, as the README's example writes it: two variables of its own."""

from __future__ import annotations

from pydantic import SecretStr

from prodready import Profile, variable


class ShopProfile(Profile):
    """prodready's variables and the shop's."""

    shop_page_size: int = variable(
        "Items per catalogue page.", "a whole number from 1 to 100", "20", 20, ge=1, le=100
    )
    shop_payment_key: SecretStr | None = variable(
        "The payment provider's secret key.", "the provider's secret key", "sk_live_..."
    )
