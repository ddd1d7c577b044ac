"""Demo store data for `manage.py seed_demo`: warehouses, catalogue, people and places, carriers.

Pure data and pure functions of a random.Random, so a seed always builds the same store. Names,
emails (reserved example.* domains, RFC 2606) and phone numbers (555-01xx, reserved for fiction)
are made up.
"""

import random
import unicodedata
from dataclasses import dataclass

CURRENCY = "USD"

# (code, name, region, city, postal code, priority): lower priority ships first.
WAREHOUSES = [
    ("EAST", "Newark DC", "NJ", "Newark", "07114", 10),
    ("WEST", "Reno DC", "NV", "Reno", "89502", 20),
    ("SOUTH", "Dallas DC", "TX", "Dallas", "75261", 30),
    ("CENTRAL", "Columbus DC", "OH", "Columbus", "43217", 40),
]

APPAREL = ("S", "M", "L", "XL")
WOMEN = ("XS", "S", "M", "L")
WAIST = ("30", "32", "34", "36")
SHOES = ("8", "9", "10", "11")
ONE = ("",)


@dataclass(frozen=True)
class ProductSeed:
    code: str
    name: str
    category: str
    price: str
    weight_grams: int
    colours: tuple[str, ...]
    sizes: tuple[str, ...] = ONE
    popularity: float = 1.0
    is_final_sale: bool = False


P = ProductSeed
PRODUCTS = [
    P(
        "TEE-ORG",
        "Organic Cotton Crew Tee",
        "tops",
        "24.00",
        180,
        ("Black", "White", "Navy"),
        APPAREL,
        3.0,
    ),
    P("TEE-VNK", "Slub V-Neck Tee", "tops", "26.00", 170, ("Heather Grey", "Olive"), APPAREL),
    P("TEE-PKT", "Pocket Tee", "tops", "22.00", 180, ("Sand", "Rust"), APPAREL, 1.5),
    P(
        "TEE-HEN",
        "Long-Sleeve Waffle Henley",
        "tops",
        "38.00",
        260,
        ("Oatmeal", "Charcoal"),
        APPAREL,
    ),
    P(
        "TEE-GRF",
        "Trail Map Graphic Tee (clearance)",
        "tops",
        "14.00",
        180,
        ("Black",),
        APPAREL,
        0.8,
        True,
    ),
    P("TNK-RIB", "Ribbed Tank Top", "tops", "18.00", 120, ("White", "Black"), APPAREL),
    P(
        "SWT-CRW",
        "Fleece Crewneck Sweatshirt",
        "sweatshirts",
        "54.00",
        520,
        ("Grey", "Forest"),
        APPAREL,
        1.5,
    ),
    P("HOD-ZIP", "Zip Hoodie", "sweatshirts", "68.00", 620, ("Black", "Navy"), APPAREL, 2.0),
    P("HOD-PUL", "Heavyweight Pullover Hoodie", "sweatshirts", "72.00", 700, ("Bone",), APPAREL),
    P("JKT-DWN", "Packable Down Jacket", "outerwear", "149.00", 480, ("Black", "Red"), APPAREL),
    P("JKT-RAI", "Waterproof Rain Shell", "outerwear", "119.00", 420, ("Yellow", "Navy"), APPAREL),
    P("JKT-DEN", "Denim Trucker Jacket", "outerwear", "98.00", 900, ("Indigo",), APPAREL, 0.7),
    P("VST-FLC", "Fleece Vest", "outerwear", "59.00", 380, ("Grey",), APPAREL, 0.6),
    P("JNS-SLM", "Slim Selvedge Jeans", "bottoms", "89.00", 750, ("Indigo", "Black"), WAIST, 1.5),
    P("CHN-STR", "Stretch Chinos", "bottoms", "64.00", 560, ("Khaki", "Navy"), WAIST),
    P("SHT-HIK", "Hiking Shorts", "bottoms", "42.00", 300, ("Olive",), APPAREL),
    P("JOG-TEC", "Tech Joggers", "bottoms", "58.00", 420, ("Black",), APPAREL, 1.2),
    P(
        "SNK-CNV",
        "Canvas Low-Top Sneakers",
        "footwear",
        "55.00",
        950,
        ("White", "Black"),
        SHOES,
        1.5,
    ),
    P("SNK-RUN", "Everyday Running Shoes", "footwear", "110.00", 800, ("Grey",), SHOES),
    P("BOT-CHL", "Leather Chelsea Boots", "footwear", "165.00", 1400, ("Brown",), SHOES, 0.6),
    P("SLD-REC", "Recovery Slides", "footwear", "35.00", 500, ("Black",), SHOES),
    P(
        "SCK-MER",
        "Merino Hiking Socks, 3-pack",
        "accessories",
        "24.00",
        200,
        ("Grey",),
        ("M", "L"),
        1.5,
        True,
    ),
    P(
        "SCK-ANK",
        "Ankle Socks, 6-pack",
        "accessories",
        "18.00",
        240,
        ("White", "Black"),
        ONE,
        1.2,
        True,
    ),
    P("BNE-KNT", "Ribbed Knit Beanie", "accessories", "22.00", 90, ("Black", "Mustard", "Grey")),
    P("CAP-BSB", "Washed Baseball Cap", "accessories", "26.00", 110, ("Navy", "Stone")),
    P("BLT-LTH", "Leather Belt", "accessories", "39.00", 220, ("Brown", "Black"), WAIST[:3]),
    P("GLV-TCH", "Touchscreen Gloves", "accessories", "19.00", 80, ("Black",), ("S/M", "L/XL")),
    P("SCF-WOL", "Wool Scarf", "accessories", "45.00", 180, ("Charcoal", "Camel"), ONE, 0.7),
    P(
        "SUN-POL",
        "Polarized Sunglasses",
        "accessories",
        "79.00",
        60,
        ("Tortoise", "Black"),
        ONE,
        0.8,
        True,
    ),
    P("WLT-BIF", "Bifold Wallet", "accessories", "49.00", 90, ("Brown",)),
    P("BAG-DAY", "Everyday Backpack 20L", "bags", "89.00", 850, ("Black", "Olive"), ONE, 1.5),
    P("BAG-TOT", "Canvas Tote", "bags", "29.00", 300, ("Natural",)),
    P("BAG-DUF", "Weekender Duffel", "bags", "129.00", 1300, ("Black", "Tan"), ONE, 0.6),
    P("BAG-SLG", "Sling Bag", "bags", "45.00", 350, ("Black",)),
    P("BAG-LAP", "Laptop Sleeve", "bags", "35.00", 300, ("Grey",), ("14in", "16in")),
    P("MUG-ENA", "Enamel Camp Mug", "home", "16.00", 250, ("White", "Blue")),
    P(
        "BTL-INS",
        "Insulated Water Bottle 750 ml",
        "home",
        "32.00",
        400,
        ("Black", "Sage", "Coral"),
        ONE,
        1.8,
    ),
    P("BLK-PIC", "Picnic Blanket", "home", "59.00", 1100, ("Plaid",), ONE, 0.6),
    P("HAM-TRV", "Travel Hammock", "outdoor", "69.00", 600, ("Green",), ONE, 0.5),
    P("LMP-HED", "Rechargeable Headlamp", "outdoor", "39.00", 120, ("Black",), ONE, 0.9),
    P("TWL-QDR", "Quick-Dry Towel", "outdoor", "25.00", 250, ("Blue", "Grey"), ("M", "L")),
    P("CHR-CMP", "Folding Camp Chair", "outdoor", "49.00", 2300, ("Green",), ONE, 0.5),
    P("CND-CED", "Cedar Soy Candle", "home", "24.00", 450, ("Amber",), ONE, 0.8),
    P("TEE-KID", "Kids' Dino Tee", "kids", "16.00", 110, ("Green",), ("4T", "6", "8", "10")),
    P("HOD-KID", "Kids' Zip Hoodie", "kids", "38.00", 350, ("Red",), ("6", "8", "10")),
    P("LEG-HWS", "High-Waist Leggings", "women", "58.00", 250, ("Black", "Plum"), WOMEN, 2.0),
    P("DRS-WRP", "Linen Wrap Dress", "women", "98.00", 320, ("Sage",), WOMEN, 0.8),
    P("BRA-SPT", "Sports Bra", "women", "38.00", 120, ("Black",), WOMEN[1:], 1.2, True),
    P("SWM-ONE", "One-Piece Swimsuit", "women", "72.00", 200, ("Navy",), WOMEN[1:], 0.7, True),
    P("CRD-OVR", "Oversized Cardigan", "women", "84.00", 600, ("Oatmeal",), ("S/M", "M/L")),
]

COLOUR_CODES = {
    "Heather Grey": "HGR",
    "Oatmeal": "OAT",
    "Charcoal": "CHA",
    "Mustard": "MUS",
    "Natural": "NAT",
    "Tortoise": "TOR",
    "Black": "BLK",
    "White": "WHT",
    "Navy": "NVY",
    "Grey": "GRY",
    "Green": "GRN",
    "Brown": "BRN",
    "Blue": "BLU",
    "Sage": "SGE",
    "Coral": "CRL",
}


def slug_for(product: ProductSeed) -> str:
    return product.code.lower()


PRODUCT_SLUGS = [slug_for(product) for product in PRODUCTS]


def sku_for(product: ProductSeed, colour: str, size: str) -> str:
    colour_code = COLOUR_CODES.get(colour, colour[:3].upper())
    return "-".join(part for part in (product.code, colour_code, size.replace("/", "")) if part)


def variant_name(product: ProductSeed, colour: str, size: str) -> str:
    return " / ".join(part for part in (product.name, colour, size) if part)


def size_weight(product: ProductSeed, size: str) -> int:
    """Middle sizes sell best."""
    index = product.sizes.index(size)
    return 1 + min(index, len(product.sizes) - 1 - index)


def opening_stock(rng: random.Random, product: ProductSeed, warehouses: list) -> list[tuple]:
    """(warehouse, units) for a new SKU in every warehouse. Most SKUs are carried by two or
    three warehouses (so some orders split); a few are nearly or wholly sold out."""
    roll = rng.random()
    if roll < 0.03:
        carried = {}
    elif roll < 0.08:
        carried = {rng.choice(warehouses).code: rng.randint(1, 3)}
    else:
        shares = (0.85, 0.7, 0.6, 0.5)  # in priority order: the main DC carries the most
        chosen = [w for w, share in zip(warehouses, shares, strict=False) if rng.random() < share]
        carried = {
            warehouse.code: max(4, round(rng.randint(12, 40) * product.popularity))
            for warehouse in chosen or warehouses[:1]
        }
    return [(warehouse, carried.get(warehouse.code, 0)) for warehouse in warehouses]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


US_FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Chris Karen Daniel Lisa Matthew Nancy Anthony "
    "Betty Mark Sandra Steven Ashley Andrew Emily Joshua Michelle Kevin Amanda Brian Melissa "
    "Aisha Wei Priya Diego Sofia Mateo Valentina Hiroshi Yuki Omar Fatima Kwame Amara Liam Noah "
    "Olivia Emma Ava Mia Ethan Lucas Harper Jamal Keisha Tyrone Rosa Luis Carmen"
)
US_LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Nguyen Hill Flores "
    "Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Kim Patel Chen Okafor "
    "Cohen Murphy O'Brien Kowalski Rossi Yamamoto"
)
BR_FIRST = _words(
    "Ana João Maria Pedro Juliana Lucas Fernanda Gabriel Camila Rafael Beatriz Thiago Larissa "
    "Mateus Letícia Gustavo Mariana Felipe Aline Bruno Carolina Rodrigo Patrícia Vinícius Débora"
)
BR_LAST = _words(
    "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro "
    "Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Araújo"
)

# (city, state, ZIP prefix, area code)
US_CITIES = [
    ("New York", "NY", "100", "212"),
    ("Brooklyn", "NY", "112", "718"),
    ("Boston", "MA", "021", "617"),
    ("Philadelphia", "PA", "191", "215"),
    ("Baltimore", "MD", "212", "410"),
    ("Washington", "DC", "200", "202"),
    ("Atlanta", "GA", "303", "404"),
    ("Miami", "FL", "331", "305"),
    ("Orlando", "FL", "328", "407"),
    ("Charlotte", "NC", "282", "704"),
    ("Nashville", "TN", "372", "615"),
    ("Chicago", "IL", "606", "312"),
    ("Detroit", "MI", "482", "313"),
    ("Minneapolis", "MN", "554", "612"),
    ("St. Louis", "MO", "631", "314"),
    ("Kansas City", "MO", "641", "816"),
    ("Houston", "TX", "770", "713"),
    ("Austin", "TX", "787", "512"),
    ("San Antonio", "TX", "782", "210"),
    ("Denver", "CO", "802", "303"),
    ("Phoenix", "AZ", "850", "602"),
    ("Salt Lake City", "UT", "841", "801"),
    ("Las Vegas", "NV", "891", "702"),
    ("Los Angeles", "CA", "900", "213"),
    ("San Diego", "CA", "921", "619"),
    ("San Francisco", "CA", "941", "415"),
    ("Sacramento", "CA", "958", "916"),
    ("Portland", "OR", "972", "503"),
    ("Seattle", "WA", "981", "206"),
    ("Pittsburgh", "PA", "152", "412"),
    ("Cleveland", "OH", "441", "216"),
    ("New Orleans", "LA", "701", "504"),
]
# Where the Brazilian-Portuguese-speaking customers of a US store tend to live.
BR_COMMUNITY_CITIES = [
    ("Framingham", "MA", "017", "508"),
    ("Boston", "MA", "021", "617"),
    ("Newark", "NJ", "071", "973"),
    ("Orlando", "FL", "328", "407"),
    ("Pompano Beach", "FL", "330", "954"),
    ("Danbury", "CT", "068", "203"),
]
STREETS = (
    "Main St",
    "Oak Ave",
    "Maple St",
    "Cedar Ln",
    "Park Ave",
    "Elm St",
    "Washington Blvd",
    "Lake Shore Dr",
    "Pine St",
    "Sunset Blvd",
    "Highland Ave",
    "Mill Rd",
    "Church St",
    "River Rd",
    "Broadway",
    "2nd St",
    "5th Ave",
    "Jefferson St",
    "Franklin Ave",
    "Walnut St",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class PersonSeed:
    name: str
    email: str
    phone: str
    locale: str
    address: dict[str, str]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def make_people(rng: random.Random, count: int, *, pt_br_share: float = 0.15) -> list[PersonSeed]:
    """`count` customers with unique emails and phone numbers, each with a home address."""
    people, emails, phones = [], set(), set()
    while len(people) < count:
        is_br = rng.random() < pt_br_share
        first = rng.choice(BR_FIRST if is_br else US_FIRST)
        last = rng.choice(BR_LAST if is_br else US_LAST)
        city, state, zip3, area = rng.choice(BR_COMMUNITY_CITIES if is_br else US_CITIES)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        if email in emails:
            email = f"{local}{rng.randint(2, 99)}@{rng.choice(EMAIL_DOMAINS)}"
        phone = f"+1{area}55501{rng.randint(0, 99):02d}"
        if email in emails or phone in phones:
            continue
        emails.add(email)
        phones.add(phone)
        name = f"{first} {last}"
        address = {
            "name": name,
            "line1": f"{rng.randint(1, 9899)} {rng.choice(STREETS)}",
            "line2": rng.choice(["", "", "", f"Apt {rng.randint(1, 40)}{rng.choice('ABCD')}"]),
            "city": city,
            "region": state,
            "postal_code": f"{zip3}{rng.randint(0, 99):02d}",
            "country": "US",
            "phone": phone,
        }
        people.append(PersonSeed(name, email, phone, "pt-br" if is_br else "en", address))
    return people


# Carrier: (share, tracking number pattern, sorting hub by warehouse region). In the pattern,
# "#" is a digit and "X" a digit or letter.
CARRIERS = {
    "ups": (
        0.45,
        "1Z" + "X" * 16,
        {"NJ": "Secaucus, NJ", "NV": "Sparks, NV", "TX": "Mesquite, TX", "OH": "Obetz, OH"},
    ),
    "fedex": (
        0.35,
        "#" * 12,
        {"NJ": "Edison, NJ", "NV": "Reno, NV", "TX": "Grand Prairie, TX", "OH": "Grove City, OH"},
    ),
    "usps": (
        0.20,
        "9400" + "#" * 18,
        {"NJ": "Kearny, NJ", "NV": "Reno, NV", "TX": "Coppell, TX", "OH": "Columbus, OH"},
    ),
}
SERVICES = {"standard": "Ground", "express": "2Day", "next_day": "Next Day Air"}
TRANSIT_DAYS = {"standard": (3, 5), "express": (2, 2), "next_day": (1, 1)}
# (shipping method, share, price): standard ships free from FREE_SHIPPING_FROM.
SHIPPING_METHODS = [
    ("standard", 0.78, "6.95"),
    ("express", 0.16, "14.95"),
    ("next_day", 0.06, "24.95"),
]
FREE_SHIPPING_FROM = 75
# (who, reason): supervisors run the fraud reviews.
FRAUD_HOLD_REASONS = (
    ("supervisor", "Fraud review: billing and shipping addresses far apart"),
    ("supervisor", "Fraud review: several cards tried in a short time"),
)
HOLD_REASONS = (
    ("agent", "Address verification: customer asked to confirm apartment number"),
    ("agent", "Customer asked to wait until they are back home"),
    *FRAUD_HOLD_REASONS,
)
CANCEL_REASONS = (
    "Customer changed their mind",
    "Customer ordered the wrong size",
    "Duplicate order placed by the customer",
    "Customer found a better delivery date elsewhere",
)
# Carrier scan texts by (status, stop on the route).
SCAN_DESCRIPTIONS = {
    ("picked_up", 0): ("Picked up by carrier",),
    ("in_transit", 1): ("Processed at carrier facility", "Departed carrier facility"),
    ("in_transit", 2): ("Arrived at local delivery facility",),
    ("out_for_delivery", 2): ("Out for delivery",),
    ("exception", 2): (
        "Delivery attempted: business closed",
        "Delivery attempted: no secure location to leave package",
        "Weather delay",
        "Address information incomplete: contacting recipient",
    ),
    ("delivered", 2): (
        "Delivered, left at front door",
        "Delivered, handed to resident",
        "Delivered to mailroom",
    ),
}
LINE_CANCEL_REASONS = (
    "Customer removed an item by phone",
    "Item damaged at the warehouse; customer agreed to cancel it",
)


def tracking_number(rng: random.Random, carrier: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
    return "".join(
        rng.choice(alphabet) if ch == "X" else str(rng.randint(0, 9)) if ch == "#" else ch
        for ch in CARRIERS[carrier][1]
    )


def pick_carrier(rng: random.Random) -> str:
    return rng.choices(list(CARRIERS), weights=[c[0] for c in CARRIERS.values()])[0]


def route(carrier: str, warehouse, destination: str) -> list[str]:
    """Scan locations: the warehouse, the carrier's sorting hub near it, the customer's city."""
    origin = f"{warehouse.city}, {warehouse.region}"
    return [origin, CARRIERS[carrier][2].get(warehouse.region, origin), destination]
