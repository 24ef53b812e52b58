"""Errors of the webhooks feature (endpoints, deliveries, the changes feed)."""

from __future__ import annotations

from uuid import UUID

from domain.errors import InvalidInput, NotFound


class EndpointNotFound(NotFound):
    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"No webhook endpoint has the id {endpoint_id}.")


class DeliveryNotFound(NotFound):
    def __init__(self, delivery_id: UUID) -> None:
        super().__init__(f"No delivery has the id {delivery_id} at this endpoint.")


class UnsafeUrl(InvalidInput):
    """The endpoint URL is not one we may call (scheme, form, or an address that is not
    public: loopback, private, link-local, CGNAT, multicast, unspecified, ULA, ...)."""
