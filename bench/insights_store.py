"""A store of N orders for the insights benchmark, generated in PostgreSQL with set-based SQL
(INSERT ... SELECT over generate_series): 1,000,000 orders with their lines, shipments, carrier
scans, cases and contacts, returns, refunds, adjustments and notification deliveries in a few
minutes. Runs only in a database whose name contains "bench" (it empties the tables first).

The shape, spread over `days` days up to the anchor (the generation hour):
- 5 warehouses (EAST, WEST, SOUTH, MIDWEST in the US; BRSP in Brazil), 200 products with 2
  variants each, N/3 customers (so people buy again), 10 destination regions.
- Channels: web 80 %, marketplace 10 %, API 5 %, customer service 3 %, exchange and
  replacement 1 % each. 1-3 lines per order; a US order of 3 lines in four ships in two parcels.
- Carriers: ups, fedex, usps, ontrac (US; ontrac is late 4 times as often), correios and
  jadlog (Brazil). About 8 % of parcels are late (3 days more), 2 % with an exception scan.
- Cases: about 8 per 100 orders (30 % of late parcels' orders call, 6 % of the others),
  reasons by experience, a fifth with a second contact, satisfaction for 40 % of the resolved.
- Returns: 6 % of delivered purchases (refund 60 %, store credit 20 %, exchange 20 %), refunds
  to the card with their gateway transactions; adjustments on 3 % of orders; one email per
  order in the notification log.
"""

import time
from dataclasses import dataclass
from datetime import datetime

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
    "orders_trackingevent",
    "orders_shipmentline",
    "orders_shipment",
    "orders_orderevent",
    "orders_orderline",
    "orders_order",
    "orders_customer",
    "orders_variant",
    "orders_product",
    "orders_warehouse",
]

STEPS: list[tuple[str, str]] = [
    (
        "catalogue",
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
        INSERT INTO orders_customer (id, name, email, phone, locale, country, created_at, time_zone)
        SELECT c, 'Customer ' || c, 'c' || c || '@bench.example', '', 'en', 'US',
               %(anchor)s - interval '3 years', ''
        FROM generate_series(1, %(customers)s) c;
        """,
    ),
    (
        "plan",
        # One row per order with every random draw and what follows from it (timing, carrier,
        # lateness), shared by the orders, shipments, cases and returns below.
        """
        DROP TABLE IF EXISTS bench_o;
        CREATE UNLOGGED TABLE bench_o AS
        WITH draws AS (
            SELECT o AS id,
                   %(anchor)s - make_interval(
                       secs => %(days)s * 86400.0 * (1 - (o - 0.5) / %(orders)s)
                   ) AS created_at,
                   1 + floor(random() * %(customers)s)::bigint AS customer_id,
                   random() AS r_channel, 1 + floor(random() * 10)::int AS region_no,
                   random() AS r_lines, random() AS r_carrier, random() AS r_late,
                   random() AS r_transit, random() AS r_ship, random() AS r_case,
                   random() AS r_return, random() AS r_adj
            FROM generate_series(1, %(orders)s) o
        ), placed AS (
            SELECT d.*,
                   CASE WHEN r_channel < 0.80 THEN 'web' WHEN r_channel < 0.90 THEN 'marketplace'
                        WHEN r_channel < 0.95 THEN 'api' WHEN r_channel < 0.98 THEN 'csr'
                        WHEN r_channel < 0.99 THEN 'exchange' ELSE 'replacement' END AS channel,
                   (ARRAY['US','US','US','US','US','US','US','US','BR','BR'])[region_no]
                       AS country,
                   (ARRAY['NY','CA','TX','FL','WA','IL','NJ','GA','SP','RJ'])[region_no]
                       AS region,
                   (ARRAY[1, 2, 3, 1, 2, 4, 1, 1, 5, 5])[region_no] AS warehouse_id,
                   1 + floor(r_lines * r_lines * 3)::int AS line_count
            FROM draws d
        ), carried AS (
            SELECT p.*,
                   CASE WHEN country = 'BR' THEN
                            CASE WHEN r_carrier < 0.7 THEN 'correios' ELSE 'jadlog' END
                        WHEN r_carrier < 0.4 THEN 'ups' WHEN r_carrier < 0.7 THEN 'fedex'
                        WHEN r_carrier < 0.9 THEN 'usps' ELSE 'ontrac' END AS carrier,
                   created_at + make_interval(hours => 4 + floor(r_ship * 20)::int) AS shipped_at
            FROM placed p
        )
        SELECT c.*,
               r_late < CASE carrier WHEN 'ontrac' THEN 0.24 WHEN 'jadlog' THEN 0.12
                                     ELSE 0.06 END AS is_late,
               r_late < 0.02 AS has_exception,
               (created_at + interval '5 days')::date AS promised,
               shipped_at + make_interval(
                   days => 1 + floor(r_transit * 3)::int
                       + CASE WHEN r_late < CASE carrier WHEN 'ontrac' THEN 0.24
                                                  WHEN 'jadlog' THEN 0.12 ELSE 0.06 END
                              THEN 3 ELSE 0 END,
                   hours => floor(r_ship * 8)::int
               ) AS delivered_at
        FROM carried c;
        ALTER TABLE bench_o ADD PRIMARY KEY (id);
        """,
    ),
    (
        "orders",
        """
        DROP TABLE IF EXISTS bench_l;
        CREATE UNLOGGED TABLE bench_l AS
        SELECT row_number() OVER (ORDER BY o.id, l) AS id, o.id AS order_id, l AS line_number,
               v.id AS variant_id, v.sku, v.name,
               CASE WHEN o.channel = 'replacement' THEN 0 ELSE v.price END AS unit_price,
               1 + (o.id + l) %% 2 AS quantity,
               (o.line_count = 3 AND l = 3 AND o.id %% 4 = 0 AND o.country = 'US') AS is_split
        FROM bench_o o
        CROSS JOIN LATERAL generate_series(1, o.line_count) l
        JOIN orders_variant v ON v.id = 1 + (o.id * 7 + l * 131) %% 400;
        INSERT INTO orders_order
            (id, number, channel, external_reference, status, held_from_status, hold_reason,
             email, phone, locale, shipping_address, billing_address, shipping_method, currency,
             shipping_price, subtotal, discount_total, shipping_total, total,
             promised_delivery_date, placed_by_kind, placed_by_label, note, created_at,
             updated_at, customer_id, original_order_id, attention_reason, needs_attention,
             order_discount, refunded_for_returns)
        SELECT o.id, (1000000 + o.id)::text, o.channel, '',
               CASE WHEN o.shipped_at > %(anchor)s THEN 'processing'
                    WHEN o.delivered_at <= %(anchor)s THEN 'delivered' ELSE 'shipped' END,
               '', '', 'c' || o.customer_id || '@bench.example', '', 'en', a.address, a.address,
               'standard', CASE WHEN o.country = 'BR' THEN 'BRL' ELSE 'USD' END,
               5, s.subtotal, 0, 5, s.subtotal + 5, o.promised, 'customer', 'bench', '',
               o.created_at,
               CASE WHEN o.shipped_at > %(anchor)s THEN o.created_at
                    WHEN o.delivered_at <= %(anchor)s THEN o.delivered_at
                    ELSE o.shipped_at END,
               o.customer_id,
               CASE WHEN o.channel IN ('replacement', 'exchange') AND o.id > 1000
                    THEN o.id - 1000 END,
               '', false, 0, 0
        FROM bench_o o
        JOIN (SELECT order_id, sum(quantity * unit_price) AS subtotal FROM bench_l GROUP BY 1) s
          ON s.order_id = o.id
        CROSS JOIN LATERAL (
            SELECT jsonb_build_object('name', 'Bench', 'line1', '1 Main St', 'city', 'Town',
                                      'region', o.region, 'postal_code', '00000',
                                      'country', o.country) AS address
        ) a;
        """,
    ),
    (
        "shipments",
        """
        DROP TABLE IF EXISTS bench_s;
        CREATE UNLOGGED TABLE bench_s AS
        SELECT o.id, o.id AS order_id, o.warehouse_id, o.carrier, o.shipped_at, o.delivered_at,
               o.promised, o.is_late, o.has_exception, o.created_at
        FROM bench_o o
        UNION ALL
        SELECT %(orders)s + row_number() OVER (ORDER BY o.id), o.id,
               CASE WHEN o.warehouse_id = 1 THEN 2 ELSE 1 END, o.carrier,
               o.shipped_at + interval '2 hours', o.delivered_at + interval '2 hours',
               o.promised, o.is_late, false, o.created_at
        FROM bench_o o
        WHERE o.line_count = 3 AND o.id %% 4 = 0 AND o.country = 'US';
        INSERT INTO orders_shipment
            (id, number, status, carrier, service, tracking_number, promised_delivery_date,
             estimated_delivery_date, shipped_at, delivered_at, last_tracking_at, created_at,
             updated_at, order_id, warehouse_id, delay_reason, delayed_at)
        SELECT s.id, 'S' || s.id,
               CASE WHEN NOT t.shipped THEN 'pending' WHEN t.delivered THEN 'delivered'
                    WHEN s.has_exception THEN 'exception' ELSE 'in_transit' END,
               CASE WHEN t.shipped THEN s.carrier ELSE '' END, '',
               CASE WHEN t.shipped THEN 'BT' || s.id ELSE '' END,
               s.promised, s.promised,
               CASE WHEN t.shipped THEN s.shipped_at END,
               CASE WHEN t.delivered THEN s.delivered_at END,
               CASE WHEN t.delivered THEN s.delivered_at WHEN t.shipped THEN s.shipped_at END,
               s.created_at,
               CASE WHEN t.delivered THEN s.delivered_at
                    WHEN t.delayed_at IS NOT NULL THEN t.delayed_at
                    WHEN t.shipped THEN s.shipped_at ELSE s.created_at END,
               s.order_id, s.warehouse_id,
               CASE WHEN t.delayed_at IS NULL THEN ''
                    WHEN s.has_exception THEN 'exception' ELSE 'late' END,
               t.delayed_at
        FROM bench_s s
        CROSS JOIN LATERAL (
            SELECT s.shipped_at <= %(anchor)s AS shipped,
                   s.delivered_at <= %(anchor)s AS delivered,
                   CASE WHEN s.is_late AND s.shipped_at <= %(anchor)s
                             AND (s.promised + 1)::timestamp AT TIME ZONE 'UTC'
                                 + interval '6 hours' <= %(anchor)s
                        THEN (s.promised + 1)::timestamp AT TIME ZONE 'UTC'
                             + interval '6 hours' END AS delayed_at
        ) t;
        INSERT INTO orders_orderline
            (id, line_number, sku, name, quantity, unit_price, discount, quantity_cancelled,
             quantity_shipped, quantity_returned, is_final_sale, order_id, variant_id)
        SELECT l.id, l.line_number, l.sku, l.name, l.quantity, l.unit_price, 0, 0,
               CASE WHEN o.shipped_at <= %(anchor)s THEN l.quantity ELSE 0 END, 0, false,
               l.order_id, l.variant_id
        FROM bench_l l JOIN bench_o o ON o.id = l.order_id;
        INSERT INTO orders_shipmentline (quantity, line_id, shipment_id)
        SELECT l.quantity, l.id,
               CASE WHEN l.is_split THEN sp.id ELSE l.order_id END
        FROM bench_l l
        LEFT JOIN bench_s sp ON l.is_split AND sp.order_id = l.order_id AND sp.id > %(orders)s;
        """,
    ),
    (
        "tracking",
        """
        INSERT INTO orders_trackingevent
            (carrier, carrier_event_id, status, description, location, occurred_at, received_at,
             applied_at, shipment_id, actor_kind, actor_label)
        SELECT s.carrier, 'b' || s.id || '-' || e.step, e.status, '', 'Hub', e.at,
               e.at + interval '1 minute', e.at + interval '1 minute', s.id, 'api_client',
               'carrier'
        FROM bench_s s
        CROSS JOIN LATERAL (
            VALUES (1, 'picked_up', s.shipped_at),
                   (2, 'in_transit', s.shipped_at + interval '12 hours'),
                   (3, CASE WHEN s.has_exception THEN 'exception' END,
                    s.shipped_at + interval '1 day'),
                   (4, 'delivered', s.delivered_at)
        ) AS e(step, status, at)
        WHERE e.status IS NOT NULL AND e.at <= %(anchor)s
        ORDER BY e.at, s.id;
        """,
    ),
    (
        "cases",
        """
        DROP TABLE IF EXISTS bench_c;
        CREATE UNLOGGED TABLE bench_c AS
        WITH calls AS (
            SELECT o.*,
                   CASE WHEN o.is_late THEN o.promised::timestamp AT TIME ZONE 'UTC'
                                            + make_interval(hours => 8 + floor(o.r_case * 200)::int)
                        ELSE o.created_at + make_interval(hours => floor(o.r_case * 1500)::int)
                   END AS opened_at,
                   (o.r_case * 997) - floor(o.r_case * 997) AS r2
            FROM bench_o o
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
        SELECT c.case_id, c.case_channel, c.reason, 'Bench case',
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
               CASE WHEN c.reason IN ('wismo', 'delay') THEN c.id END
        FROM bench_c c;
        INSERT INTO support_caseevent
            (actor_kind, actor_label, type, text, data, created_at, case_id)
        SELECT e.actor_kind, 'bench', e.type, '', e.data, e.at, c.case_id
        FROM bench_c c
        CROSS JOIN LATERAL (
            VALUES ('staff', 'opened', c.opened_at,
                    jsonb_build_object('channel', c.case_channel, 'reason', c.reason)),
                   ('staff', CASE WHEN c.contacts = 2 THEN 'contact' END,
                    c.opened_at + interval '20 hours',
                    jsonb_build_object('channel', c.case_channel, 'contact_count', 2)),
                   ('staff', CASE WHEN c.is_resolved THEN 'status' END,
                    c.resolved_at + (c.contacts - 1) * interval '1 day',
                    jsonb_build_object('from', 'open', 'to', 'resolved')),
                   ('customer', CASE WHEN c.is_resolved AND c.answered
                                     THEN 'survey_answered' END,
                    c.resolved_at + (c.contacts - 1) * interval '1 day' + interval '2 hours',
                    jsonb_build_object('score', c.score))
        ) AS e(actor_kind, type, at, data)
        WHERE e.type IS NOT NULL AND e.at <= %(anchor)s
        ORDER BY e.at, c.case_id;
        """,
    ),
    (
        "returns",
        """
        DROP TABLE IF EXISTS bench_r;
        CREATE UNLOGGED TABLE bench_r AS
        SELECT row_number() OVER (ORDER BY o.delivered_at, o.id) AS return_id, o.id AS order_id,
               o.customer_id, o.warehouse_id, o.carrier,
               CASE WHEN o.country = 'BR' THEN 'BRL' ELSE 'USD' END AS currency,
               o.delivered_at + make_interval(hours => 24 + floor(o.r_return * 4000)::int)
                   AS created_at,
               CASE WHEN o.r_adj < 0.6 THEN 'refund' WHEN o.r_adj < 0.8 THEN 'store_credit'
                    ELSE 'exchange' END AS resolution,
               (ARRAY['size_too_small', 'size_too_large', 'not_as_described', 'damaged',
                      'defective', 'wrong_item', 'no_longer_wanted', 'arrived_late'])
                   [1 + floor(o.r_transit * 8)::int] AS reason,
               l.id AS line_id, l.unit_price
        FROM bench_o o
        JOIN bench_l l ON l.order_id = o.id AND l.line_number = 1
        WHERE o.r_return < 0.06 AND o.channel IN ('web', 'marketplace', 'api', 'csr')
          AND o.delivered_at + interval '2 days' <= %(anchor)s;
        DELETE FROM bench_r WHERE created_at > %(anchor)s - interval '1 day';
        INSERT INTO returns_returnrequest
            (id, actor_kind, actor_label, rma, status, resolution, requested_via, is_withdrawal,
             is_instant_exchange, is_keep_it, refund_release, currency, items_amount,
             restocking_fee, return_shipping_fee, shipping_refund, bonus_amount, estimated_total,
             refunded_amount, credited_amount, carrier, tracking_number, decision_reason,
             customer_note, idempotency_reference, created_at, updated_at, approved_at,
             shipped_at, received_at, inspected_at, resolved_at, customer_id, order_id,
             warehouse_id)
        SELECT r.return_id, 'customer', 'bench', 'RB' || r.return_id,
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
        FROM bench_r r;
        INSERT INTO returns_returnline
            (quantity, reason, comment, unit_amount, restocking_fee, quantity_received,
             condition, disposition, quantity_restocked, order_line_id, return_request_id)
        SELECT 1, r.reason, '', r.unit_price, 0, 1, 'as_new', 'restock', 1, r.line_id,
               r.return_id
        FROM bench_r r;
        INSERT INTO returns_returnrefund
            (actor_kind, actor_label, kind, amount, reference, created_at, return_request_id)
        SELECT 'system', 'bench', r.resolution, r.unit_price,
               'bench:' || r.return_id || ':' || r.resolution,
               least(r.created_at + interval '4 days', %(anchor)s), r.return_id
        FROM bench_r r
        WHERE r.resolution IN ('refund', 'store_credit') AND r.unit_price > 0;
        INSERT INTO orders_payment
            (id, gateway, method_label, reference, currency, status, amount_authorized,
             amount_captured, amount_refunded, is_voided, created_at, order_id)
        SELECT r.return_id, 'sandbox', 'Visa •••• 4242', 'bench-' || r.return_id, r.currency,
               'partially_refunded', o.total, o.total, r.unit_price, false, o.created_at, o.id
        FROM bench_r r JOIN orders_order o ON o.id = r.order_id
        WHERE r.resolution = 'refund' AND r.unit_price > 0;
        INSERT INTO orders_paymenttransaction
            (actor_kind, actor_label, kind, amount, status, gateway_reference, error_code,
             error_message, idempotency_key, reason, created_at, payment_id)
        SELECT 'system', 'bench', 'refund', r.unit_price, 'succeeded', '', '', '',
               'bench-refund-' || r.return_id, 'return RB' || r.return_id,
               least(r.created_at + interval '4 days', %(anchor)s), r.return_id
        FROM bench_r r
        WHERE r.resolution = 'refund' AND r.unit_price > 0
        ORDER BY 11, r.return_id;
        """,
    ),
    (
        "adjustments",
        """
        INSERT INTO orders_orderadjustment
            (actor_kind, actor_label, kind, amount, reason_code, note, approved_by_label,
             created_at, order_id)
        SELECT 'staff', 'bench',
               CASE WHEN o.r_ship < 0.5 THEN 'goodwill_credit'
                    WHEN o.r_ship < 0.8 THEN 'price_adjustment' ELSE 'shipping_refund' END,
               CASE WHEN o.r_ship >= 0.8 THEN 5 ELSE round(x.total * 0.1, 2) + 1 END,
               CASE WHEN o.is_late THEN 'late_delivery' ELSE 'service_recovery' END, '',
               CASE WHEN o.r_ship < 0.1 THEN 'supervisor' ELSE '' END,
               o.created_at + interval '3 days', o.id
        FROM bench_o o JOIN orders_order x ON x.id = o.id
        WHERE o.r_adj < 0.03 AND o.created_at + interval '3 days' <= %(anchor)s
        ORDER BY o.created_at + interval '3 days', o.id;
        """,
    ),
    (
        "notifications",
        """
        DROP TABLE IF EXISTS bench_m;
        CREATE UNLOGGED TABLE bench_m AS
        SELECT gen_random_uuid() AS id, o.id AS order_id, o.customer_id, o.created_at
        FROM bench_o o;
        INSERT INTO notifications_outboxmessage
            (id, event_type, payload_version, aggregate_type, aggregate_id, payload, created_at,
             dispatched_at)
        SELECT m.id, 'order.created', 1, 'order', (1000000 + m.order_id)::text, '{}'::jsonb,
               m.created_at, m.created_at
        FROM bench_m m;
        INSERT INTO notifications_delivery
            (channel, target, event_type, aggregate_type, aggregate_id, status, attempts,
             next_attempt_at, last_error, detail, sent_at, created_at, message_id)
        SELECT 'email', 'c' || m.customer_id || '@bench.example', 'order.created', 'order',
               (1000000 + m.order_id)::text, 'sent', 1, m.created_at, '', '',
               m.created_at + interval '2 seconds', m.created_at, m.id
        FROM bench_m m
        ORDER BY m.order_id;
        """,
    ),
    (
        "finish",
        """
        DROP TABLE bench_o, bench_l, bench_s, bench_c, bench_r, bench_m;
        """,
    ),
]

SEQUENCED = [
    "orders_warehouse",
    "orders_product",
    "orders_variant",
    "orders_customer",
    "orders_order",
    "orders_orderline",
    "orders_shipment",
    "orders_shipmentline",
    "orders_trackingevent",
    "support_case",
    "support_caseevent",
    "returns_returnrequest",
    "returns_returnline",
    "returns_returnrefund",
    "orders_payment",
    "orders_paymenttransaction",
    "orders_orderadjustment",
    "notifications_delivery",
]


@dataclass
class Generated:
    orders: int
    days: int
    anchor: datetime
    seconds: float
    counts: dict[str, int]


def secondary_indexes(cursor) -> list[tuple[str, str]]:
    """The loaded tables' indexes that are neither primary keys nor unique nor a constraint's."""
    cursor.execute(
        """
        SELECT ci.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class ci ON ci.oid = i.indexrelid
        JOIN pg_class ct ON ct.oid = i.indrelid
        WHERE ct.relname = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        """,
        [TABLES],
    )
    return cursor.fetchall()


def generate(cursor, *, orders: int, days: int, anchor: datetime, log=print) -> Generated:
    """Empty the store's tables and fill them; `cursor` is a psycopg2 cursor in autocommit."""
    cursor.execute("SELECT current_database()")
    database = cursor.fetchone()[0]
    if "bench" not in database:
        raise RuntimeError(f"refusing to empty {database}: not a benchmark database")
    params = {"orders": orders, "days": days, "anchor": anchor, "customers": max(orders // 3, 1)}
    started = time.monotonic()
    cursor.execute("SET synchronous_commit = off")
    cursor.execute("SET work_mem = '256MB'")
    cursor.execute("SET maintenance_work_mem = '1GB'")
    cursor.execute("SELECT setseed(0.42)")
    cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    # Bulk load as a restore does: the rows are consistent by construction, so no foreign-key
    # triggers (replica role), and the secondary indexes are built once at the end rather
    # than maintained row by row (unique ones stay: they are the data's own checks).
    cursor.execute("SET session_replication_role = replica")
    indexes = secondary_indexes(cursor)
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    try:
        for name, sql in STEPS:
            step = time.monotonic()
            cursor.execute(sql, params)
            log(f"  {name:<14} {time.monotonic() - step:7.1f} s")
    finally:
        step = time.monotonic()
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role = DEFAULT")
        log(f"  {'indexes':<14} {time.monotonic() - step:7.1f} s")
    for table in SEQUENCED:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 1))"
        )
    step = time.monotonic()
    cursor.execute("VACUUM ANALYZE")
    log(f"  {'vacuum analyze':<14} {time.monotonic() - step:7.1f} s")
    counts = {}
    for table in SEQUENCED:
        cursor.execute(f"SELECT count(*) FROM {table}")
        counts[table] = cursor.fetchone()[0]
    return Generated(orders, days, anchor, time.monotonic() - started, counts)
