"""Modifying an order before it ships: shipping address, line quantities, added or swapped lines,
shipping method. A rep previews the edit (new totals and the payment difference, nothing
written), then applies it in one transaction.

Rules:
- Only an unshipped order may change, and only while none of its parcels is packed: once a
  warehouse has packed a parcel, changing it means unpacking, so the rep cancels or reships.
- Totals come from orders.pricing over the lines as they would be (unsaved OrderLine objects),
  so the preview and the applied edit are the same computation.
- Fewer units cancel units (the line's discount shrinks by their share, as in cancel_lines);
  more units extend the line at its price (its discount is for the line as ordered); an added
  line is at the catalogue price; a swap cancels a line's remaining units and adds a line of
  the new variant, which keeps the old units' share of the discount.
- New units are allocated under the stock locks, preferring the warehouses the order already
  ships from; a new warehouse gets a new pending shipment, an emptied one is cancelled.
- Payment: when the new total exceeds what the card authorization covers, the authorization is
  first increased at the gateway (incremental authorization, as Stripe and Adyen offer:
  https://docs.stripe.com/payments/incremental-authorization,
  https://docs.adyen.com/online-payments/adjust-authorisation), outside any transaction and
  with an idempotency key; a decline leaves the order as it was. Capture still happens at
  shipment, so a lower total is simply a lower amount to capture, or a refund of what was
  already captured (settle_payments, after commit). An order still waiting for its payment
  needs no authorization change: the customer pays the new total.
"""

from orders.services.edits.apply import apply_order_edit
from orders.services.edits.inputs import OrderEdit
from orders.services.edits.plan import LineChange
from orders.services.edits.preview import EditPreview, preview_order_edit

__all__ = ["EditPreview", "LineChange", "OrderEdit", "apply_order_edit", "preview_order_edit"]
