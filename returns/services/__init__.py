"""Every write of the returns app, one module per area. Import from the submodule:
`from returns.services import requests`.

- requests: request_return (the policy decides; auto-approval; idempotent by reference)
- transitions: approve_return, reject_return, cancel_return, close_return, expire_returns
- receiving: record_return_scan, receive_return, inspect_return
- refunds, exchanges, store_credit: the money (release_refund, exchange orders, the ledger)
- photos: validate_photo and storing return photos; numbers: RMA and tracking numbers
- events: the return timeline recorder every service writes through
"""
