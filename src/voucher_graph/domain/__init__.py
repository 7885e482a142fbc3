"""Pure domain rules of the service-voucher platform: standard library only, today passed in."""
