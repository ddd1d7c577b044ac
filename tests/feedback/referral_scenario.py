"""The referral reward as the services emit it, for the events-doc shape test: a customer's
code, a friend's first order recorded with it and delivered, both rewarded (one message each)."""

from decimal import Decimal

from feedback.models import ReferralReward
from feedback.services import referrals
from orders import services
from tests.factories import StockFactory, VariantFactory, WarehouseFactory
from tests.orders.builders import ACTOR, deliver, order_input, ship

FRIEND_ADDRESS = {
    "name": "Bruno Lima",
    "line1": "Avenida Paulista 900",
    "city": "São Paulo",
    "region": "SP",
    "postal_code": "01310-100",
    "country": "BR",
}


def referral_scenario() -> None:
    variant = VariantFactory(sku="DOC-REFERRAL")
    StockFactory(variant=variant, warehouse=WarehouseFactory(code="DOCREF"), on_hand=10)
    ReferralReward.objects.get_or_create(
        currency="USD",
        defaults={"referrer_amount": Decimal("10.00"), "friend_amount": Decimal("5.00")},
    )
    referrer = services.place_order(
        data=order_input(
            [(variant.sku, 1)],
            customer=services.CustomerInput(email="doc-referrer@example.com", name="Ana Souza"),
        ),
        actor=ACTOR,
    )
    friend = services.place_order(
        data=order_input(
            [(variant.sku, 1)],
            customer=services.CustomerInput(email="doc-friend@example.com", name="Bruno Lima"),
            shipping_address=FRIEND_ADDRESS,
        ),
        actor=ACTOR,
    )
    code = referrals.code_for(referrer.customer)
    referrals.record_referral(code=code.code, order=friend, actor=ACTOR)
    for shipment in friend.shipments.all():
        deliver(ship(shipment, "1Z-DOC-REFERRAL"), "doc-referral-delivered")
    referrals.reward_referrals()
