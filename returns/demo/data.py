"""What the demo's returns are made of: how often each reason and outcome occurs, what customers
write, and the few customers abroad whose orders fall under a statutory withdrawal right."""

from dataclasses import dataclass

# Share of delivered orders that come back (apparel stores see 10-30 %; a mixed store less).
RETURN_SHARE = 0.10
# A small demo still shows every status.
MIN_RETURNS = 10

# Why customers return, by weight: fit first, as in every apparel store's returns report.
# "other" always goes to the review queue, "damaged" and "defective" need a photo.
REASONS = {
    "size_too_small": 24,
    "size_too_large": 19,
    "not_as_described": 12,
    "no_longer_wanted": 14,
    "defective": 6,
    "damaged": 5,
    "wrong_item": 5,
    "arrived_late": 4,
    "other": 0,  # drawn only for returns that go to review
}
SIZE_REASONS = ("size_too_small", "size_too_large")

COMMENTS = {
    "size_too_small": ("Too tight across the shoulders", "Runs a size small", ""),
    "size_too_large": ("Too long in the sleeves", "Way too loose", ""),
    "not_as_described": (
        "The colour is much darker than in the photos",
        "The fabric feels thinner than described",
    ),
    "no_longer_wanted": ("Changed my mind", "Bought the same item elsewhere", ""),
    "defective": ("Zip broke the first time I used it", "Seam came apart after one wash"),
    "damaged": ("Box was crushed and the item is scratched", "Stain on the front"),
    "wrong_item": ("Received a different colour", "Wrong size in the bag"),
    "arrived_late": ("Needed it for a trip; it came after I left",),
    "other": (
        "Gift: the person already has one",
        "Ordered two by mistake and would like to return one",
        "Not sure it suits me, can I send it back?",
    ),
}
REJECTION_REASONS = (
    "Worn and washed: the photos show the tag removed",
    "The item shows wear beyond trying it on",
)
CANCEL_REASONS = ("Decided to keep it", "Found it fits after all", "")

# Outcome of a return at the end of the simulation: (share, days from request to now).
# A fate is only given to a return old enough (and young enough) to have reached it.
FATES = {
    "review": (0.05, (0.05, 1.5)),  # waiting in the console's review queue
    "rejected": (0.03, (2.0, 40.0)),
    "approved": (0.12, (0.05, 3.0)),  # label issued, parcel not sent yet
    "cancelled": (0.05, (3.5, 40.0)),
    "expired": (0.03, (15.5, 40.0)),
    "in_transit": (0.12, (1.0, 4.0)),
    "refunded": (0.20, (5.5, 40.0)),  # received, refunded on receipt, not inspected yet
    "closed": (0.15, (11.0, 40.0)),  # inspected and closed
    "credited": (0.10, (5.5, 40.0)),
    "exchanged": (0.15, (5.5, 40.0)),
}


@dataclass(frozen=True)
class AbroadSeed:
    """A customer abroad with one recent order: the statutory withdrawal right applies."""

    email: str
    name: str
    phone: str
    locale: str
    country: str
    address: dict[str, str]
    skus: int  # lines in the order
    delivered_days_ago: float
    withdrawn_days_ago: float | None  # None: delivered, not withdrawn (try it in the portal)
    fate: str  # what became of the withdrawal: approved, in_transit or refunded


ABROAD = (
    AbroadSeed(
        email="mariana.costa@example.com.br",
        name="Mariana Costa",
        phone="+5511987650001",
        locale="pt-br",
        country="BR",
        address={
            "name": "Mariana Costa",
            "line1": "Rua Augusta, 1508",
            "line2": "Apto 72",
            "city": "São Paulo",
            "region": "SP",
            "postal_code": "01304-001",
            "country": "BR",
            "phone": "+5511987650001",
        },
        skus=2,
        delivered_days_ago=4.2,
        withdrawn_days_ago=2.6,
        fate="in_transit",
    ),
    AbroadSeed(
        email="rafael.lima@example.com.br",
        name="Rafael Lima",
        phone="+5521987650002",
        locale="pt-br",
        country="BR",
        address={
            "name": "Rafael Lima",
            "line1": "Rua Visconde de Pirajá, 330",
            "line2": "",
            "city": "Rio de Janeiro",
            "region": "RJ",
            "postal_code": "22410-002",
            "country": "BR",
            "phone": "+5521987650002",
        },
        skus=1,
        delivered_days_ago=2.1,
        withdrawn_days_ago=None,
        fate="",
    ),
    AbroadSeed(
        email="lena.hoffmann@example.de",
        name="Lena Hoffmann",
        phone="+4915112345603",
        locale="en",
        country="DE",
        address={
            "name": "Lena Hoffmann",
            "line1": "Kastanienallee 12",
            "line2": "",
            "city": "Berlin",
            "region": "BE",
            "postal_code": "10435",
            "country": "DE",
            "phone": "+4915112345603",
        },
        skus=2,
        delivered_days_ago=12.5,
        withdrawn_days_ago=9.0,
        fate="refunded",
    ),
    AbroadSeed(
        email="ines.ferreira@example.pt",
        name="Inês Ferreira",
        phone="+351912345604",
        locale="en",
        country="PT",
        address={
            "name": "Inês Ferreira",
            "line1": "Rua da Prata, 45",
            "line2": "3º Esq",
            "city": "Lisboa",
            "region": "Lisboa",
            "postal_code": "1100-414",
            "country": "PT",
            "phone": "+351912345604",
        },
        skus=1,
        delivered_days_ago=5.5,
        withdrawn_days_ago=1.2,
        fate="approved",
    ),
)
