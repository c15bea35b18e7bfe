"""The outbound sender: the outbox delivered through the SDK, paced per conversation and tenant, retried within
bounds."""
