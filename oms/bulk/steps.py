"""The SQL that writes a bulk store, step by step (see oms.bulk.store for how it is run).

The shape, spread over `days` days up to the anchor (the generation hour):
- 5 warehouses (EAST, WEST, SOUTH, MIDWEST in the US; BRSP in Brazil), 200 products with 2
  variants each, stock of every variant in every warehouse; N/3 customers (so people buy
  again) with realistic names, unique emails and phone numbers, and one address each; 10
  destination regions, 2 of them in Brazil (Portuguese-speaking customers paying in BRL).
- Channels: web 80 %, marketplace 10 %, API 5 %, customer service 3 %, exchange and
  replacement 1 % each. 1-3 lines per order; a US order of 3 lines in four ships in two
  parcels. Shipping: standard 78 % (free from 75), express 16 %, next day 6 %.
- 2 % of purchases are cancelled within two hours (no parcel, payment voided). Orders not yet
  shipped hold allocations against stock; every paid order has a payment with its ledger
  (authorize, then capture when it ships, void when cancelled, refund for a returned unit).
- Carriers: ups, fedex, usps, ontrac (US; ontrac is late 4 times as often), correios and
  jadlog (Brazil). About 8 % of parcels are late (3 days more), 2 % with an exception scan;
  a late parcel still in transit past its promised date is flagged delayed and its order
  raised for attention. Up to 5 carrier scans per parcel.
- The order timeline (OrderEvent) the services would have written: placed, payment
  authorized, confirmed, shipment created, shipped, payment captured, exception, delayed,
  delivered, cancelled, payment voided and refunded.
- Cases: about 8 per 100 orders (30 % of late parcels' orders call, 6 % of the others),
  reasons by experience, a fifth with a second contact, satisfaction for 40 % of the resolved.
- Returns: 6 % of delivered purchases (refund 60 %, store credit 20 %, exchange 20 %), refunds
  to the card; adjustments on 3 % of orders; one email per order in the notification log.

Every random draw comes from PostgreSQL's random() after setseed(): the same parameters give
the same store. Scratch tables are named bulk_* (unlogged, dropped at the end).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    # Seconds the step took for 1,000,000 orders on the 2-core machine of docs/performance.md
    # (shared with other work): how far the progress bar moves while it runs.
    weight: float
    sql: str
    # 0: in order, before the others (they read its scratch tables). 1 and 2: two sessions
    # running side by side, each taking its steps in order (they write different tables).
    lane: int


# Tables written, children first (the order TRUNCATE and the counts use).
TABLES = [
    "notifications_delivery",
    "notifications_outboxmessage",
    "orders_paymenttransaction",
    "orders_payment",
    "returns_returnrefund",
    "returns_returnline",
    "returns_returnevent",
    "returns_returnrequest",
    "support_caseevent",
    "support_case",
    "orders_orderadjustment",
    "orders_orderevent",
    "orders_trackingevent",
    "orders_shipmentline",
    "orders_shipment",
    "orders_allocation",
    "orders_stockmovement",
    "orders_stock",
    "orders_orderline",
    "orders_order",
    "orders_address",
    "orders_customer",
    "orders_variant",
    "orders_product",
    "orders_warehouse",
]

# Tables with an id sequence to move past the ids written (in the order counts are reported).
SEQUENCED = [
    "orders_warehouse",
    "orders_product",
    "orders_variant",
    "orders_stock",
    "orders_customer",
    "orders_address",
    "orders_order",
    "orders_orderline",
    "orders_allocation",
    "orders_payment",
    "orders_paymenttransaction",
    "orders_shipment",
    "orders_shipmentline",
    "orders_trackingevent",
    "orders_orderevent",
    "support_case",
    "support_caseevent",
    "returns_returnrequest",
    "returns_returnline",
    "returns_returnrefund",
    "orders_orderadjustment",
    "notifications_delivery",
]

SCRATCH = ["bulk_cu", "bulk_l", "bulk_o", "bulk_s", "bulk_r", "bulk_c"]

# Region n (1-10) of a customer: its state, city, postal code prefix, phone area code and the
# warehouse that serves it.
_REGIONS = """
    (ARRAY['NY', 'CA', 'TX', 'FL', 'WA', 'IL', 'NJ', 'GA', 'SP', 'RJ'])[{n}]
"""
_CITIES = """
    (ARRAY['New York', 'Los Angeles', 'Houston', 'Miami', 'Seattle', 'Chicago', 'Newark',
           'Atlanta', 'São Paulo', 'Rio de Janeiro'])[{n}]
"""
_WAREHOUSE_CITIES = "(ARRAY['Newark', 'Reno', 'Dallas', 'Chicago', 'São Paulo'])[{n}]"
_WAREHOUSE_CODES = "(ARRAY['EAST', 'WEST', 'SOUTH', 'MIDWEST', 'BRSP'])[{n}]"


def _other_warehouse(column: str) -> str:
    """The warehouse the third line of a split US order ships from."""
    return f"CASE WHEN {column} = 1 THEN 2 ELSE 1 END"


STEPS: list[Step] = [
    Step(
        "catalogue",
        0.1,
        """
        INSERT INTO orders_warehouse
            (id, code, name, country, region, city, postal_code, priority, is_active)
        VALUES (1, 'EAST', 'East DC', 'US', 'NJ', 'Newark', '07102', 10, true),
               (2, 'WEST', 'West DC', 'US', 'NV', 'Reno', '89501', 20, true),
               (3, 'SOUTH', 'South DC', 'US', 'TX', 'Dallas', '75201', 30, true),
               (4, 'MIDWEST', 'Midwest DC', 'US', 'IL', 'Chicago', '60601', 40, true),
               (5, 'BRSP', 'São Paulo DC', 'BR', 'SP', 'São Paulo', '01000-000', 50, true);
        INSERT INTO orders_product (id, name, slug, category, description, is_active, created_at)
        SELECT p, 'Product ' || p, 'product-' || p,
               (ARRAY['apparel', 'home', 'toys', 'garden'])[1 + p %% 4], '', true,
               %(anchor)s - interval '3 years'
        FROM generate_series(1, 200) p;
        INSERT INTO orders_variant
            (id, sku, name, price, currency, weight_grams, is_final_sale, is_active, product_id)
        SELECT 2 * (p - 1) + k, 'SKU-' || lpad(p::text, 4, '0') || '-' || k,
               'Product ' || p || ' / ' || k, (5 + p * 37 %% 95) + 0.99, 'USD', 300, false,
               true, p
        FROM generate_series(1, 200) p, generate_series(1, 2) k;
        """,
        0,
    ),
    Step(
        "customers",
        8.0,
        f"""
        DROP TABLE IF EXISTS bulk_cu;
        CREATE UNLOGGED TABLE bulk_cu AS
        WITH draws AS (
            SELECT c AS id, 1 + floor(random() * 10)::int AS region_no,
                   random() AS r_first, random() AS r_last, random() AS r_street
            FROM generate_series(1, %(customers)s::bigint) c
        ), picked AS (
            SELECT d.*, d.region_no >= 9 AS is_br,
                   1 + floor(d.r_first * CASE WHEN d.region_no >= 9
                                             THEN cardinality(%(br_first)s::text[])
                                             ELSE cardinality(%(us_first)s::text[]) END)::int
                       AS first_no,
                   1 + floor(d.r_last * CASE WHEN d.region_no >= 9
                                            THEN cardinality(%(br_last)s::text[])
                                            ELSE cardinality(%(us_last)s::text[]) END)::int
                       AS last_no
            FROM draws d
        ), named AS (
            SELECT p.*,
                   CASE WHEN is_br THEN (%(br_first)s::text[])[first_no]
                        ELSE (%(us_first)s::text[])[first_no] END AS first_name,
                   CASE WHEN is_br THEN (%(br_last)s::text[])[last_no]
                        ELSE (%(us_last)s::text[])[last_no] END AS last_name,
                   CASE WHEN is_br THEN (%(br_first_ascii)s::text[])[first_no]
                        ELSE (%(us_first_ascii)s::text[])[first_no] END AS first_ascii,
                   CASE WHEN is_br THEN (%(br_last_ascii)s::text[])[last_no]
                        ELSE (%(us_last_ascii)s::text[])[last_no] END AS last_ascii
            FROM picked p
        )
        SELECT id, region_no, is_br,
               first_name || ' ' || last_name AS name,
               first_ascii || '.' || last_ascii || id || '@'
                   || (ARRAY['example.com', 'example.net', 'example.org'])[1 + id %% 3] AS email,
               CASE WHEN is_br
                    THEN '+55' || (ARRAY['11', '21'])[region_no - 8] || '9'
                         || lpad((id %% 100000000)::text, 8, '0')
                    ELSE '+1' || (ARRAY['212', '213', '713', '305', '206', '312', '973',
                                        '404'])[region_no]
                         || lpad((id %% 10000000)::text, 7, '0') END AS phone,
               CASE WHEN is_br
                    THEN 'Rua ' || last_name || ', ' || (1 + id * 7919 %% 2000)
                    ELSE (1 + id * 7919 %% 9899) || ' '
                         || (%(streets)s::text[])[
                                1 + floor(r_street * cardinality(%(streets)s::text[]))::int]
                    END AS line1,
               {_CITIES.format(n="region_no")} AS city,
               {_REGIONS.format(n="region_no")} AS region,
               CASE WHEN is_br
                    THEN (ARRAY['01310', '20040'])[region_no - 8] || '-'
                         || lpad((id %% 1000)::text, 3, '0')
                    ELSE (ARRAY['100', '900', '770', '331', '981', '606', '071', '303'])[region_no]
                         || lpad((id %% 100)::text, 2, '0') END AS postal_code,
               CASE WHEN is_br THEN 'BR' ELSE 'US' END AS country
        FROM named;
        ALTER TABLE bulk_cu ADD PRIMARY KEY (id);
        INSERT INTO orders_customer (id, name, email, phone, locale, country, created_at, time_zone)
        SELECT id, name, email, phone, CASE WHEN is_br THEN 'pt-br' ELSE 'en' END, country,
               %(anchor)s - make_interval(
                   days => %(days)s + 1 + floor(730 * (1 - id::float / %(customers)s))::int
               ),
               ''
        FROM bulk_cu;
        INSERT INTO orders_address
            (name, line1, line2, city, region, postal_code, country, phone, is_default,
             customer_id)
        SELECT name, line1, '', city, region, postal_code, country, phone, true, id
        FROM bulk_cu
        ORDER BY id;
        """,
        0,
    ),
    Step(
        "plan",
        65.0,
        # One row per order with every random draw and what follows from it (timing, carrier,
        # lateness, cancellation, totals), shared by every step below; its lines, parcels and
        # returns likewise.
        f"""
        DROP TABLE IF EXISTS bulk_p;
        CREATE UNLOGGED TABLE bulk_p AS
        WITH draws AS (
            SELECT o AS id,
                   %(anchor)s - make_interval(
                       secs => %(days)s * 86400.0 * (1 - (o - 0.5) / %(orders)s)
                   ) AS created_at,
                   1 + floor(random() * %(customers)s)::bigint AS customer_id,
                   random() AS r_channel, random() AS r_lines, random() AS r_carrier,
                   random() AS r_late, random() AS r_transit, random() AS r_ship,
                   random() AS r_case, random() AS r_return, random() AS r_adj,
                   random() AS r_method, random() AS r_cancel
            FROM generate_series(1, %(orders)s::bigint) o
        ), placed AS (
            SELECT d.*, c.region_no, c.city, c.country,
                   CASE WHEN r_channel < 0.80 THEN 'web' WHEN r_channel < 0.90 THEN 'marketplace'
                        WHEN r_channel < 0.95 THEN 'api' WHEN r_channel < 0.98 THEN 'csr'
                        WHEN r_channel < 0.99 THEN 'exchange' ELSE 'replacement' END AS channel,
                   (ARRAY[1, 2, 3, 1, 2, 4, 1, 1, 5, 5])[c.region_no] AS warehouse_id,
                   1 + floor(r_lines * r_lines * 3)::int AS line_count,
                   CASE WHEN r_method < 0.78 THEN 'standard' WHEN r_method < 0.94 THEN 'express'
                        ELSE 'next_day' END AS shipping_method,
                   d.created_at + make_interval(hours => 4 + floor(r_ship * 20)::int)
                       AS shipped_at,
                   d.created_at + make_interval(mins => 60 + floor(r_cancel * 3000)::int)
                       AS cancelled_at
            FROM draws d
            JOIN bulk_cu c ON c.id = d.customer_id
        ), carried AS (
            SELECT p.*,
                   CASE WHEN country = 'BR' THEN
                            CASE WHEN r_carrier < 0.7 THEN 'correios' ELSE 'jadlog' END
                        WHEN r_carrier < 0.4 THEN 'ups' WHEN r_carrier < 0.7 THEN 'fedex'
                        WHEN r_carrier < 0.9 THEN 'usps' ELSE 'ontrac' END AS carrier,
                   r_cancel < 0.02 AND channel NOT IN ('exchange', 'replacement')
                       AND cancelled_at <= %(anchor)s AS is_cancelled
            FROM placed p
        ), timed AS (
            SELECT c.*,
                   NOT is_cancelled
                       AND r_late < CASE carrier WHEN 'ontrac' THEN 0.24 WHEN 'jadlog' THEN 0.12
                                                 ELSE 0.06 END AS is_late,
                   NOT is_cancelled AND r_late < 0.02 AS has_exception,
                   (created_at + interval '5 days')::date AS promised,
                   shipped_at + make_interval(
                       days => 1 + floor(r_transit * 3)::int
                           + CASE WHEN r_late < CASE carrier WHEN 'ontrac' THEN 0.24
                                                      WHEN 'jadlog' THEN 0.12 ELSE 0.06 END
                                  THEN 3 ELSE 0 END,
                       hours => floor(r_ship * 8)::int
                   ) AS delivered_at
            FROM carried c
        )
        SELECT t.*,
               NOT is_cancelled AND shipped_at <= %(anchor)s AS is_shipped,
               NOT is_cancelled AND delivered_at <= %(anchor)s AS is_delivered,
               CASE WHEN is_late AND shipped_at <= %(anchor)s
                         AND (promised + 1)::timestamp AT TIME ZONE 'UTC' + interval '6 hours'
                             <= %(anchor)s
                    THEN (promised + 1)::timestamp AT TIME ZONE 'UTC' + interval '6 hours'
               END AS delayed_at
        FROM timed t;

        DROP TABLE IF EXISTS bulk_l;
        CREATE UNLOGGED TABLE bulk_l AS
        SELECT row_number() OVER (ORDER BY o.id, l) AS id, o.id AS order_id, l AS line_number,
               v.id AS variant_id, v.sku, v.name,
               CASE WHEN o.channel = 'replacement' THEN 0 ELSE v.price END AS unit_price,
               1 + (o.id + l) %% 2 AS quantity,
               (o.line_count = 3 AND l = 3 AND o.id %% 4 = 0 AND o.country = 'US') AS is_split,
               CASE WHEN o.line_count = 3 AND l = 3 AND o.id %% 4 = 0 AND o.country = 'US'
                    THEN {_other_warehouse("o.warehouse_id")} ELSE o.warehouse_id
               END AS warehouse_id
        FROM bulk_p o
        CROSS JOIN LATERAL generate_series(1, o.line_count) l
        JOIN orders_variant v ON v.id = 1 + (o.id * 7 + l * 131) %% 400;

        DROP TABLE IF EXISTS bulk_o;
        CREATE UNLOGGED TABLE bulk_o AS
        SELECT p.*, t.subtotal, t.shipping, t.subtotal + t.shipping AS total,
               (100000 + p.id)::text AS number,
               CASE WHEN p.country = 'BR' THEN 'BRL' ELSE 'USD' END AS currency,
               (ARRAY['Visa', 'Mastercard', 'Amex', 'Visa', 'Discover'])[1 + p.id %% 5]
                   || ' •••• ' || lpad((p.id * 7919 %% 10000)::text, 4, '0') AS method_label,
               CASE p.channel WHEN 'web' THEN 'customer' WHEN 'marketplace' THEN 'api_client'
                    WHEN 'api' THEN 'api_client' ELSE 'staff' END AS placed_by_kind,
               CASE p.channel WHEN 'web' THEN 'Web store' WHEN 'marketplace' THEN 'Marketplace'
                    WHEN 'api' THEN 'Partner API' ELSE 'Jordan Reyes (support)'
               END AS placed_by_label
        FROM bulk_p p
        JOIN (
            SELECT l.order_id, sum(l.quantity * l.unit_price) AS subtotal,
                   CASE WHEN min(p.channel) IN ('exchange', 'replacement') THEN 0
                        WHEN min(p.shipping_method) = 'express' THEN 14.95
                        WHEN min(p.shipping_method) = 'next_day' THEN 24.95
                        WHEN sum(l.quantity * l.unit_price) >= 75 THEN 0 ELSE 6.95
                   END AS shipping
            FROM bulk_l l JOIN bulk_p p ON p.id = l.order_id
            GROUP BY l.order_id
        ) t ON t.order_id = p.id;
        ALTER TABLE bulk_o ADD PRIMARY KEY (id);
        DROP TABLE bulk_p;

        DROP TABLE IF EXISTS bulk_s;
        CREATE UNLOGGED TABLE bulk_s AS
        SELECT s.*,
               CASE s.carrier
                   WHEN 'ups' THEN '1Z' || upper(substr(md5(s.id::text), 1, 8))
                                   || lpad(s.id::text, 8, '0')
                   WHEN 'fedex' THEN (700000000000 + s.id * 7)::text
                   WHEN 'usps' THEN '9400' || lpad((s.id * 13)::text, 18, '0')
                   WHEN 'ontrac' THEN 'C' || lpad((s.id * 3)::text, 14, '0')
                   WHEN 'correios' THEN 'NX' || lpad(s.id::text, 9, '0') || 'BR'
                   ELSE lpad((s.id * 11)::text, 14, '0')
               END AS tracking_number
        FROM (
            SELECT o.id, o.id AS order_id, o.number || '-1' AS number, o.warehouse_id,
                   o.carrier, o.shipping_method, o.shipped_at, o.delivered_at, o.promised,
                   o.is_late, o.has_exception, o.is_shipped, o.is_delivered, o.delayed_at,
                   o.created_at, o.city
            FROM bulk_o o
            WHERE NOT o.is_cancelled
            UNION ALL
            SELECT %(orders)s + row_number() OVER (ORDER BY o.id), o.id, o.number || '-2',
                   {_other_warehouse("o.warehouse_id")}, o.carrier, o.shipping_method,
                   o.shipped_at, o.delivered_at, o.promised, o.is_late, false, o.is_shipped,
                   o.is_delivered, o.delayed_at, o.created_at, o.city
            FROM bulk_o o
            WHERE o.line_count = 3 AND o.id %% 4 = 0 AND o.country = 'US' AND NOT o.is_cancelled
        ) s;

        DROP TABLE IF EXISTS bulk_r;
        CREATE UNLOGGED TABLE bulk_r AS
        SELECT row_number() OVER (ORDER BY o.delivered_at, o.id) AS return_id,
               o.id AS order_id, o.customer_id, o.warehouse_id, o.carrier, o.currency,
               o.delivered_at + make_interval(hours => 24 + floor(o.r_return * 4000)::int)
                   AS created_at,
               CASE WHEN o.r_adj < 0.6 THEN 'refund' WHEN o.r_adj < 0.8 THEN 'store_credit'
                    ELSE 'exchange' END AS resolution,
               (ARRAY['size_too_small', 'size_too_large', 'not_as_described', 'damaged',
                      'defective', 'wrong_item', 'no_longer_wanted', 'arrived_late'])
                   [1 + floor(o.r_transit * 8)::int] AS reason,
               l.id AS line_id, l.unit_price
        FROM bulk_o o
        JOIN bulk_l l ON l.order_id = o.id AND l.line_number = 1
        WHERE o.r_return < 0.06 AND o.channel IN ('web', 'marketplace', 'api', 'csr')
          AND o.is_delivered
          AND o.delivered_at + make_interval(hours => 24 + floor(o.r_return * 4000)::int)
              <= %(anchor)s - interval '1 day';
        ALTER TABLE bulk_r ADD PRIMARY KEY (return_id);
        """,
        0,
    ),
    Step(
        "orders",
        90.0,
        """
        INSERT INTO orders_order
            (id, number, channel, external_reference, status, held_from_status, hold_reason,
             email, phone, locale, shipping_address, billing_address, shipping_method, currency,
             shipping_price, subtotal, discount_total, shipping_total, total,
             promised_delivery_date, placed_by_kind, placed_by_label, note, created_at,
             updated_at, customer_id, original_order_id, attention_reason, needs_attention,
             attention_at, order_discount, refunded_for_returns)
        SELECT o.id, o.number, o.channel,
               CASE o.channel WHEN 'marketplace' THEN 'MP-' || (7000000 + o.id * 3)
                              WHEN 'api' THEN 'PO-' || (500000 + o.id) ELSE '' END,
               CASE WHEN o.is_cancelled THEN 'cancelled' WHEN NOT o.is_shipped THEN 'processing'
                    WHEN o.is_delivered THEN 'delivered' ELSE 'shipped' END,
               '', '', c.email, c.phone, CASE WHEN c.is_br THEN 'pt-br' ELSE 'en' END,
               a.address, a.address, o.shipping_method, o.currency, o.shipping, o.subtotal, 0,
               o.shipping, o.total, o.promised, o.placed_by_kind, o.placed_by_label, '',
               o.created_at,
               CASE WHEN o.is_cancelled THEN o.cancelled_at
                    WHEN o.is_delivered THEN o.delivered_at
                    WHEN o.delayed_at IS NOT NULL THEN o.delayed_at
                    WHEN o.is_shipped THEN o.shipped_at ELSE o.created_at END,
               o.customer_id,
               CASE WHEN o.channel IN ('replacement', 'exchange') AND o.id > 1000
                    THEN o.id - 1000 END,
               CASE WHEN o.delayed_at IS NOT NULL AND NOT o.is_delivered
                    THEN 'Shipment ' || o.number || '-1 is late against its promised date'
                    ELSE '' END,
               o.delayed_at IS NOT NULL AND NOT o.is_delivered,
               CASE WHEN NOT o.is_delivered THEN o.delayed_at END,
               0,
               coalesce(r.refunded, 0)
        FROM bulk_o o
        JOIN bulk_cu c ON c.id = o.customer_id
        LEFT JOIN (
            SELECT order_id, sum(unit_price) AS refunded FROM bulk_r
            WHERE resolution = 'refund' GROUP BY order_id
        ) r ON r.order_id = o.id
        CROSS JOIN LATERAL (
            SELECT jsonb_build_object('name', c.name, 'line1', c.line1, 'line2', '',
                                      'city', c.city, 'region', c.region,
                                      'postal_code', c.postal_code, 'country', c.country,
                                      'phone', c.phone) AS address
        ) a;
        INSERT INTO orders_orderline
            (id, line_number, sku, name, quantity, unit_price, discount, quantity_cancelled,
             quantity_shipped, quantity_returned, is_final_sale, order_id, variant_id)
        SELECT l.id, l.line_number, l.sku, l.name, l.quantity, l.unit_price, 0,
               CASE WHEN o.is_cancelled THEN l.quantity ELSE 0 END,
               CASE WHEN o.is_shipped THEN l.quantity ELSE 0 END,
               CASE WHEN r.line_id IS NULL THEN 0 ELSE 1 END, false, l.order_id, l.variant_id
        FROM bulk_l l
        JOIN bulk_o o ON o.id = l.order_id
        LEFT JOIN bulk_r r ON r.line_id = l.id;
        """,
        1,
    ),
    Step(
        "stock",
        3.0,
        # Orders not shipped yet hold their units; every stock row keeps room to sell.
        """
        INSERT INTO orders_allocation (quantity, order_id, line_id, stock_id, warehouse_id)
        SELECT l.quantity, l.order_id, l.id, (l.variant_id - 1) * 5 + l.warehouse_id,
               l.warehouse_id
        FROM bulk_l l JOIN bulk_o o ON o.id = l.order_id
        WHERE NOT o.is_cancelled AND NOT o.is_shipped
        ORDER BY l.id;
        INSERT INTO orders_stock (id, on_hand, allocated, updated_at, variant_id, warehouse_id)
        SELECT (v - 1) * 5 + w, coalesce(a.units, 0) + 2000 + (v * 37 + w * 11) %% 500,
               coalesce(a.units, 0), %(anchor)s, v, w
        FROM generate_series(1, 400) v
        CROSS JOIN generate_series(1, 5) w
        LEFT JOIN (
            SELECT stock_id, sum(quantity) AS units FROM orders_allocation GROUP BY stock_id
        ) a ON a.stock_id = (v - 1) * 5 + w;
        """,
        2,
    ),
    Step(
        "shipments",
        110.0,
        f"""
        INSERT INTO orders_shipment
            (id, number, status, carrier, service, tracking_number, promised_delivery_date,
             estimated_delivery_date, shipped_at, delivered_at, last_tracking_at, created_at,
             updated_at, order_id, warehouse_id, delay_reason, delayed_at)
        SELECT s.id, s.number,
               CASE WHEN NOT s.is_shipped THEN 'pending' WHEN s.is_delivered THEN 'delivered'
                    WHEN s.has_exception AND t.exception_at <= %(anchor)s THEN 'exception'
                    WHEN t.out_at <= %(anchor)s THEN 'out_for_delivery'
                    ELSE 'in_transit' END,
               CASE WHEN s.is_shipped THEN s.carrier ELSE '' END,
               CASE WHEN NOT s.is_shipped THEN ''
                    WHEN s.shipping_method = 'express' THEN '2Day'
                    WHEN s.shipping_method = 'next_day' THEN 'Next Day Air' ELSE 'Ground' END,
               CASE WHEN s.is_shipped THEN s.tracking_number ELSE '' END,
               s.promised, s.promised,
               CASE WHEN s.is_shipped THEN s.shipped_at END,
               CASE WHEN s.is_delivered THEN s.delivered_at END,
               CASE WHEN s.is_delivered THEN s.delivered_at
                    WHEN t.out_at <= %(anchor)s THEN t.out_at
                    WHEN s.has_exception AND t.exception_at <= %(anchor)s THEN t.exception_at
                    WHEN t.transit_at <= %(anchor)s THEN t.transit_at
                    WHEN s.is_shipped THEN s.shipped_at END,
               s.created_at,
               CASE WHEN s.is_delivered THEN s.delivered_at
                    WHEN s.delayed_at IS NOT NULL THEN s.delayed_at
                    WHEN s.is_shipped THEN s.shipped_at ELSE s.created_at END,
               s.order_id, s.warehouse_id,
               CASE WHEN s.delayed_at IS NULL THEN ''
                    WHEN s.has_exception THEN 'exception' ELSE 'late' END,
               s.delayed_at
        FROM bulk_s s
        CROSS JOIN LATERAL (
            SELECT s.shipped_at + interval '12 hours' AS transit_at,
                   s.shipped_at + interval '1 day' AS exception_at,
                   s.delivered_at - interval '5 hours' AS out_at
        ) t;
        INSERT INTO orders_shipmentline (quantity, line_id, shipment_id)
        SELECT l.quantity, l.id,
               CASE WHEN l.is_split THEN sp.id ELSE l.order_id END
        FROM bulk_l l
        JOIN bulk_o o ON o.id = l.order_id AND NOT o.is_cancelled
        LEFT JOIN bulk_s sp ON l.is_split AND sp.order_id = l.order_id AND sp.id > %(orders)s
        ORDER BY l.id;
        INSERT INTO orders_trackingevent
            (carrier, carrier_event_id, status, description, location, occurred_at, received_at,
             applied_at, shipment_id, actor_kind, actor_label)
        SELECT s.carrier, 'E' || s.id || '-' || e.step, e.status, e.description,
               e.location, e.at, e.at + interval '1 minute', e.at + interval '1 minute', s.id,
               'api_client', s.carrier
        FROM bulk_s s
        CROSS JOIN LATERAL (
            VALUES (1, 'picked_up', 'Picked up', {_WAREHOUSE_CITIES.format(n="s.warehouse_id")},
                    s.shipped_at),
                   (2, 'in_transit', 'Departed sorting facility', s.carrier || ' hub',
                    s.shipped_at + interval '12 hours'),
                   (3, CASE WHEN s.has_exception THEN 'exception' END,
                    'Delivery exception: address could not be accessed', s.city,
                    s.shipped_at + interval '1 day'),
                   (4, 'out_for_delivery', 'Out for delivery', s.city,
                    s.delivered_at - interval '5 hours'),
                   (5, 'delivered', 'Delivered, front door', s.city, s.delivered_at)
        ) AS e(step, status, description, location, at)
        WHERE s.is_shipped AND e.status IS NOT NULL AND e.at <= %(anchor)s
        ORDER BY e.at, s.id;
        """,
        1,
    ),
    Step(
        "payments",
        70.0,
        """
        INSERT INTO orders_payment
            (id, gateway, method_label, reference, currency, status, amount_authorized,
             amount_captured, amount_refunded, is_voided, created_at, order_id)
        SELECT o.id, 'sandbox', o.method_label, 'sbx_auth_' || o.id, o.currency,
               CASE WHEN o.is_cancelled THEN 'voided'
                    WHEN NOT o.is_shipped THEN 'authorized'
                    WHEN coalesce(r.refunded, 0) >= o.total THEN 'refunded'
                    WHEN r.refunded > 0 THEN 'partially_refunded'
                    ELSE 'captured' END,
               o.total, CASE WHEN o.is_shipped THEN o.total ELSE 0 END,
               coalesce(r.refunded, 0), o.is_cancelled, o.created_at, o.id
        FROM bulk_o o
        LEFT JOIN (
            SELECT order_id, sum(unit_price) AS refunded FROM bulk_r
            WHERE resolution = 'refund' GROUP BY order_id
        ) r ON r.order_id = o.id
        WHERE o.total > 0;
        INSERT INTO orders_paymenttransaction
            (actor_kind, actor_label, kind, amount, status, gateway_reference, error_code,
             error_message, idempotency_key, reason, created_at, payment_id)
        SELECT t.actor_kind, t.actor_label, t.kind, t.amount, 'succeeded',
               'sbx_' || t.kind || '_' || o.id || coalesce('_' || r.return_id, ''), '', '',
               'bulk:' || o.id || ':' || t.kind || coalesce(':' || r.return_id, ''),
               t.reason, t.at, o.id
        FROM bulk_o o
        LEFT JOIN bulk_r r ON r.order_id = o.id AND r.resolution = 'refund' AND r.unit_price > 0
        CROSS JOIN LATERAL (
            VALUES ('authorize', o.total, o.created_at, o.placed_by_kind, o.placed_by_label, ''),
                   (CASE WHEN o.is_shipped THEN 'capture' END, o.total, o.shipped_at,
                    'system', 'fulfilment', 'captured when the first parcel shipped'),
                   (CASE WHEN o.is_cancelled THEN 'void' END, o.total, o.cancelled_at,
                    'staff', 'Jordan Reyes (support)', 'order cancelled'),
                   (CASE WHEN r.return_id IS NOT NULL THEN 'refund' END, r.unit_price,
                    least(r.created_at + interval '4 days', %(anchor)s), 'system', 'returns',
                    'return RB' || r.return_id)
        ) AS t(kind, amount, at, actor_kind, actor_label, reason)
        WHERE o.total > 0 AND t.kind IS NOT NULL
        ORDER BY t.at, o.id;
        """,
        2,
    ),
    Step(
        "timeline",
        195.0,
        # What the services write to the order timeline (orders.services.events.record), with
        # the same types, actors and data keys.
        f"""
        INSERT INTO orders_orderevent
            (actor_kind, actor_label, type, reason, data, created_at, order_id)
        SELECT e.actor_kind, e.actor_label, e.type, e.reason, e.data, e.at, o.id
        FROM bulk_o o
        CROSS JOIN LATERAL (
            VALUES ('placed', o.created_at, o.placed_by_kind, o.placed_by_label, '',
                    CASE WHEN o.line_count = 3 AND o.id %% 4 = 0 AND o.country = 'US'
                         THEN jsonb_build_object('warehouses', jsonb_build_array(
                                  least(o.warehouse_id, {_other_warehouse("o.warehouse_id")}),
                                  greatest(o.warehouse_id,
                                           {_other_warehouse("o.warehouse_id")})))
                         ELSE jsonb_build_object('warehouses',
                                                 jsonb_build_array(o.warehouse_id)) END),
                   (CASE WHEN o.total > 0 THEN 'payment_authorized' END, o.created_at,
                    o.placed_by_kind, o.placed_by_label, '',
                    jsonb_build_object('amount', o.total::text, 'method', o.method_label)),
                   ('confirmed', o.created_at, 'system', 'oms', '', '{{}}'::jsonb),
                   (CASE WHEN NOT o.is_cancelled THEN 'shipment_created' END, o.created_at,
                    'system', 'oms', '',
                    jsonb_build_object('shipments', CASE
                        WHEN o.line_count = 3 AND o.id %% 4 = 0 AND o.country = 'US'
                        THEN jsonb_build_array(o.number || '-1', o.number || '-2')
                        ELSE jsonb_build_array(o.number || '-1') END)),
                   (CASE WHEN o.is_shipped AND o.total > 0 THEN 'payment_captured' END,
                    o.shipped_at, 'system', 'fulfilment', 'captured when the first parcel shipped',
                    jsonb_build_object('amount', o.total::text, 'method', o.method_label)),
                   (CASE WHEN o.is_cancelled THEN 'cancelled' END, o.cancelled_at, 'staff',
                    'Jordan Reyes (support)', 'Customer changed their mind', '{{}}'::jsonb),
                   (CASE WHEN o.is_cancelled AND o.total > 0 THEN 'payment_voided' END,
                    o.cancelled_at, 'staff', 'Jordan Reyes (support)', 'order cancelled',
                    jsonb_build_object('amount', o.total::text, 'method', o.method_label))
        ) AS e(type, at, actor_kind, actor_label, reason, data)
        WHERE e.type IS NOT NULL;
        INSERT INTO orders_orderevent
            (actor_kind, actor_label, type, reason, data, created_at, order_id)
        SELECT e.actor_kind, e.actor_label, e.type, e.reason, e.data, e.at, s.order_id
        FROM bulk_s s
        CROSS JOIN LATERAL (
            VALUES ('shipped', s.shipped_at, 'api_client', 'WMS', '',
                    jsonb_build_object('shipment', jsonb_build_object(
                        'number', s.number,
                        'warehouse', {_WAREHOUSE_CODES.format(n="s.warehouse_id")},
                        'carrier', s.carrier, 'tracking_number', s.tracking_number,
                        'estimated_delivery_date', s.promised))),
                   (CASE WHEN s.has_exception THEN 'shipment_exception' END,
                    s.shipped_at + interval '1 day', 'api_client', s.carrier, '',
                    jsonb_build_object('shipment', s.number, 'carrier_status', 'exception',
                                       'location', s.city,
                                       'occurred_at', s.shipped_at + interval '1 day',
                                       'shipment_status', 'exception')),
                   (CASE WHEN s.delayed_at IS NOT NULL THEN 'delayed' END, s.delayed_at,
                    'system', 'Delay watch',
                    'Shipment ' || s.number || ' is late against its promised date',
                    jsonb_build_object('shipment', s.number,
                                       'delay_reason', CASE WHEN s.has_exception
                                                            THEN 'exception' ELSE 'late' END,
                                       'promised_delivery_date', s.promised)),
                   ('delivered', s.delivered_at, 'api_client', s.carrier, '',
                    jsonb_build_object('shipment', s.number, 'carrier_status', 'delivered',
                                       'location', s.city, 'occurred_at', s.delivered_at,
                                       'shipment_status', 'delivered'))
        ) AS e(type, at, actor_kind, actor_label, reason, data)
        WHERE s.is_shipped AND e.type IS NOT NULL AND e.at <= %(anchor)s;
        INSERT INTO orders_orderevent
            (actor_kind, actor_label, type, reason, data, created_at, order_id)
        SELECT 'system', 'returns', 'payment_refunded', 'return RB' || r.return_id,
               jsonb_build_object('amount', r.unit_price::text, 'method', o.method_label),
               least(r.created_at + interval '4 days', %(anchor)s), r.order_id
        FROM bulk_r r JOIN bulk_o o ON o.id = r.order_id
        WHERE r.resolution = 'refund' AND r.unit_price > 0;
        """,
        2,
    ),
    Step(
        "cases",
        8.0,
        """
        DROP TABLE IF EXISTS bulk_c;
        CREATE UNLOGGED TABLE bulk_c AS
        WITH calls AS (
            SELECT o.*,
                   CASE WHEN o.is_late THEN o.promised::timestamp AT TIME ZONE 'UTC'
                                            + make_interval(hours => 8 + floor(o.r_case * 200)::int)
                        ELSE o.created_at + make_interval(hours => floor(o.r_case * 1500)::int)
                   END AS opened_at,
                   (o.r_case * 997) - floor(o.r_case * 997) AS r2
            FROM bulk_o o
            WHERE o.r_case < CASE WHEN o.is_late THEN 0.30 ELSE 0.06 END
        )
        SELECT row_number() OVER (ORDER BY opened_at, id) AS case_id, c.*,
               CASE WHEN is_late THEN CASE WHEN r2 < 0.6 THEN 'wismo' ELSE 'delay' END
                    WHEN r2 < 0.30 THEN 'wismo' WHEN r2 < 0.40 THEN 'damaged'
                    WHEN r2 < 0.45 THEN 'wrong_item' WHEN r2 < 0.50 THEN 'missing_item'
                    WHEN r2 < 0.70 THEN 'return_exchange' WHEN r2 < 0.80 THEN 'change_order'
                    WHEN r2 < 0.85 THEN 'cancel' WHEN r2 < 0.90 THEN 'billing_refund'
                    ELSE 'product_question' END AS reason,
               CASE WHEN r_ship < 0.40 THEN 'phone' WHEN r_ship < 0.70 THEN 'email'
                    WHEN r_ship < 0.95 THEN 'chat' ELSE 'portal' END AS case_channel,
               CASE WHEN r_transit < 0.20 THEN 2 ELSE 1 END AS contacts,
               opened_at < %(anchor)s - interval '1 day' AS is_resolved,
               opened_at + make_interval(hours => 1 + floor(r_adj * 30)::int) AS resolved_at,
               r_return < 0.40 AS answered,
               CASE WHEN is_late THEN 1 + floor(r2 * 3)::int ELSE 2 + floor(r2 * 4)::int END
                   AS score
            FROM calls c
        WHERE opened_at < %(anchor)s;
        INSERT INTO support_case
            (id, channel, reason, subject, status, contact_count, opened_at, last_contact_at,
             resolved_at, resolution, csat_sent_at, csat_score, csat_comment, csat_answered_at,
             customer_id, order_id, shipment_id)
        SELECT c.case_id, c.case_channel, c.reason,
               CASE c.reason WHEN 'wismo' THEN 'Where is my order ' || c.number || '?'
                             WHEN 'delay' THEN 'Order ' || c.number || ' is late'
                             ELSE initcap(replace(c.reason, '_', ' ')) || ': order ' || c.number
               END,
               CASE WHEN c.is_resolved THEN 'resolved' ELSE 'open' END,
               c.contacts, c.opened_at,
               CASE WHEN c.contacts = 2 THEN c.opened_at + interval '20 hours' ELSE c.opened_at END,
               CASE WHEN c.is_resolved THEN c.resolved_at + (c.contacts - 1) * interval '1 day' END,
               '',
               CASE WHEN c.is_resolved THEN c.resolved_at + (c.contacts - 1) * interval '1 day' END,
               CASE WHEN c.is_resolved AND c.answered THEN c.score END, '',
               CASE WHEN c.is_resolved AND c.answered
                    THEN c.resolved_at + (c.contacts - 1) * interval '1 day' + interval '2 hours'
               END,
               c.customer_id, c.id,
               CASE WHEN c.reason IN ('wismo', 'delay') AND NOT c.is_cancelled THEN c.id END
        FROM bulk_c c;
        INSERT INTO support_caseevent
            (actor_kind, actor_label, type, text, data, created_at, case_id)
        SELECT e.actor_kind, e.actor_label, e.type, '', e.data, e.at, c.case_id
        FROM bulk_c c
        CROSS JOIN LATERAL (
            VALUES ('staff', 'Sam Patel (support)', 'opened', c.opened_at,
                    jsonb_build_object('channel', c.case_channel, 'reason', c.reason)),
                   ('staff', 'Sam Patel (support)', CASE WHEN c.contacts = 2 THEN 'contact' END,
                    c.opened_at + interval '20 hours',
                    jsonb_build_object('channel', c.case_channel, 'contact_count', 2)),
                   ('staff', 'Sam Patel (support)', CASE WHEN c.is_resolved THEN 'status' END,
                    c.resolved_at + (c.contacts - 1) * interval '1 day',
                    jsonb_build_object('from', 'open', 'to', 'resolved')),
                   ('customer', 'customer', CASE WHEN c.is_resolved AND c.answered
                                                 THEN 'survey_answered' END,
                    c.resolved_at + (c.contacts - 1) * interval '1 day' + interval '2 hours',
                    jsonb_build_object('score', c.score))
        ) AS e(actor_kind, actor_label, type, at, data)
        WHERE e.type IS NOT NULL AND e.at <= %(anchor)s
        ORDER BY e.at, c.case_id;
        """,
        1,
    ),
    Step(
        "returns",
        3.0,
        """
        INSERT INTO returns_returnrequest
            (id, actor_kind, actor_label, rma, status, resolution, requested_via, is_withdrawal,
             is_instant_exchange, is_keep_it, refund_release, currency, items_amount,
             restocking_fee, return_shipping_fee, shipping_refund, bonus_amount, estimated_total,
             refunded_amount, credited_amount, carrier, tracking_number, decision_reason,
             customer_note, idempotency_reference, created_at, updated_at, approved_at,
             shipped_at, received_at, inspected_at, resolved_at, customer_id, order_id,
             warehouse_id)
        SELECT r.return_id, 'customer', 'customer', 'RB' || r.return_id,
               CASE r.resolution WHEN 'refund' THEN 'refunded' WHEN 'store_credit' THEN 'credited'
                    ELSE 'exchanged' END,
               r.resolution, 'portal', false, false, false, 'receipt', r.currency, r.unit_price,
               0, 0, 0, 0, r.unit_price,
               CASE WHEN r.resolution = 'refund' THEN r.unit_price ELSE 0 END,
               CASE WHEN r.resolution = 'store_credit' THEN r.unit_price ELSE 0 END,
               r.carrier, '', '', '', '', r.created_at,
               least(r.created_at + interval '5 days', %(anchor)s), r.created_at,
               least(r.created_at + interval '1 day', %(anchor)s),
               least(r.created_at + interval '4 days', %(anchor)s),
               least(r.created_at + interval '4 days', %(anchor)s),
               least(r.created_at + interval '5 days', %(anchor)s),
               r.customer_id, r.order_id, r.warehouse_id
        FROM bulk_r r;
        INSERT INTO returns_returnline
            (quantity, reason, comment, unit_amount, restocking_fee, quantity_received,
             condition, disposition, quantity_restocked, order_line_id, return_request_id)
        SELECT 1, r.reason, '', r.unit_price, 0, 1, 'as_new', 'restock', 1, r.line_id,
               r.return_id
        FROM bulk_r r;
        INSERT INTO returns_returnrefund
            (actor_kind, actor_label, kind, amount, reference, created_at, return_request_id)
        SELECT 'system', 'returns', r.resolution, r.unit_price,
               'bulk:' || r.return_id || ':' || r.resolution,
               least(r.created_at + interval '4 days', %(anchor)s), r.return_id
        FROM bulk_r r
        WHERE r.resolution IN ('refund', 'store_credit') AND r.unit_price > 0;
        """,
        1,
    ),
    Step(
        "adjustments",
        2.0,
        """
        INSERT INTO orders_orderadjustment
            (actor_kind, actor_label, kind, amount, reason_code, note, approved_by_label,
             created_at, order_id)
        SELECT 'staff', 'Sam Patel (support)',
               CASE WHEN o.r_ship < 0.5 THEN 'goodwill_credit'
                    WHEN o.r_ship < 0.8 THEN 'price_adjustment' ELSE 'shipping_refund' END,
               CASE WHEN o.r_ship >= 0.8 THEN 5 ELSE round(o.total * 0.1, 2) + 1 END,
               CASE WHEN o.is_late THEN 'late_delivery' ELSE 'service_recovery' END, '',
               CASE WHEN o.r_ship < 0.1 THEN 'Dana Kim (supervisor)' ELSE '' END,
               o.created_at + interval '3 days', o.id
        FROM bulk_o o
        WHERE o.r_adj < 0.03 AND NOT o.is_cancelled
          AND o.created_at + interval '3 days' <= %(anchor)s
        ORDER BY o.created_at + interval '3 days', o.id;
        """,
        1,
    ),
    Step(
        "notifications",
        45.0,
        """
        INSERT INTO notifications_outboxmessage
            (id, event_type, payload_version, aggregate_type, aggregate_id, payload, created_at,
             dispatched_at)
        SELECT md5('order.created:' || o.id)::uuid, 'order.created', 1, 'order', o.number,
               '{}'::jsonb, o.created_at, o.created_at
        FROM bulk_o o
        ORDER BY o.id;
        INSERT INTO notifications_delivery
            (channel, target, event_type, aggregate_type, aggregate_id, status, attempts,
             next_attempt_at, last_error, detail, sent_at, created_at, message_id)
        SELECT 'email', c.email, 'order.created', 'order', o.number, 'sent', 1, o.created_at,
               '', '', o.created_at + interval '2 seconds', o.created_at,
               md5('order.created:' || o.id)::uuid
        FROM bulk_o o JOIN bulk_cu c ON c.id = o.customer_id
        ORDER BY o.id;
        """,
        1,
    ),
]
