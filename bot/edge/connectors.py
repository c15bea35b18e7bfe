"""Connector clients built once per (app id, serviceUrl, audience) and reused by every turn and every outbox send.

The SDK builds a new ConnectorClient for each turn and each proactive send: msrest's configuration alone costs about
1.5 ms of CPU (its retry policy lists every status code it does not retry, out of 999), and each client opens its own
requests.Session, so each send paid a new TCP (and TLS) connection. A cached client keeps its session's connection
pool and its credentials, whose token MSAL renews (bot/edge/credentials.py).
"""

from __future__ import annotations

from collections import OrderedDict

from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import ConnectorFactory

from bot.edge.credentials import BotAppCredentials
from bot.edge.service_urls import ServiceUrlPolicy

CONNECTOR_TIMEOUT_SECONDS = 30
# Teams has a few regional connector URLs and only allowed URLs get in: a few hundred is plenty, and the bound keeps
# odd URLs (a prefix entry allows any path below it) from growing the cache.
DEFAULT_SIZE = 256
Key = tuple[str | None, str, str | None]


class ConnectorClients:
    """Least-recently-used cache of connector clients; the allowlist is checked on every use, before the cache."""

    def __init__(self, policy: ServiceUrlPolicy, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("the cache must hold at least one client")
        self._policy = policy
        self._size = size
        self._clients: OrderedDict[Key, ConnectorClient] = OrderedDict()

    def __len__(self) -> int:
        return len(self._clients)

    async def get(
        self, factory: ConnectorFactory, app_id: str | None, service_url: str, audience: str | None
    ) -> ConnectorClient:
        """The client for `service_url`, built by `factory` the first time (for `app_id` and `audience`)."""
        self._policy.check(service_url)
        key = (app_id, service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = configure(await factory.create(service_url, audience))
            self._clients[key] = client
            while len(self._clients) > self._size:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(key)
            credentials = client.config.credentials
            if isinstance(credentials, BotAppCredentials):
                await credentials.warm()  # msrest asks for the token synchronously, on the event loop
        return client


def configure(client: ConnectorClient) -> ConnectorClient:
    """The SDK's hidden retries off (the outbox owns retries, so a send is never repeated behind its back) and a
    bounded wait."""
    client.config.retry_policy.retries = 0
    client.config.retry_policy.policy.status_forcelist = frozenset()
    client.config.connection.timeout = CONNECTOR_TIMEOUT_SECONDS
    return client
