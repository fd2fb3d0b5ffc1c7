"""The card terminals' MQTT broker (paho-mqtt): connected clients, the command publisher and the ingest
worker's connection, behind :class:`bayfin.terminals.ingest.IngestConnection` and
:class:`bayfin.terminals.service.Publisher`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


def make_client(url: str, client_id: str, *, will: tuple[str, bytes] | None = None,
                on_message: Callable[[paho.Client, object, paho.MQTTMessage], None] | None = None,
                subscriptions: tuple[str, ...] = (), timeout: float = 10.0) -> paho.Client:
    """A connected paho client running its network loop on a thread, returned once its subscriptions
    are confirmed; they are renewed on every (re)connect so a broker restart does not silently stop
    ingestion."""
    parsed = urlparse(url)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    if parsed.username:
        client.username_pw_set(parsed.username, parsed.password)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    connected = threading.Event()
    awaiting: set[int] = set()

    # Both callbacks run on the network thread. The client counts as connected once the broker has
    # confirmed every subscription: a message published meanwhile by another client would be lost.
    def on_connect(c: paho.Client, _u: object, _f: object, reason: object, _p: object) -> None:
        awaiting.clear()
        for topic in subscriptions:
            mid = c.subscribe(topic, qos=1)[1]
            if mid is not None:
                awaiting.add(mid)
        if not awaiting:
            connected.set()

    def on_subscribe(_c: paho.Client, _u: object, mid: int, _codes: object, _p: object) -> None:
        awaiting.discard(mid)
        if not awaiting:
            connected.set()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    if on_message is not None:
        client.on_message = on_message
    client.connect(parsed.hostname or "127.0.0.1", parsed.port or 1883, keepalive=30)
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise ConnectionError(f"MQTT broker at {url} did not accept the connection")
    return client


@dataclass
class MqttPublisher:
    """Publishes through a connected paho client."""

    client: paho.Client

    def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Send one message (paho queues it if the connection is briefly down)."""
        self.client.publish(topic, payload, qos=qos)


class LazyMqttPublisher:
    """Connects to the broker on the first command, so processes that never send one never connect."""

    def __init__(self, url: str, client_id: str = "bayfin-terminals-commands") -> None:
        self._url = url
        self._client_id = client_id
        self._client: paho.Client | None = None
        self._lock = threading.Lock()

    def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Connect if needed, then send and wait until the broker has the message."""
        with self._lock:
            if self._client is None:
                self._client = make_client(self._url, self._client_id)
        self._client.publish(topic, payload, qos=qos).wait_for_publish(timeout=10)

    def close(self) -> None:
        """Disconnect."""
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None


class MqttIngestConnection:
    """The ingest worker's subscribed client: hands each message to the worker, publishes its answers."""

    def __init__(self, url: str, client_id: str, topics: tuple[str, ...],
                 on_message: Callable[[str, bytes], None]) -> None:
        self.topics = topics
        self.client = make_client(url, client_id, subscriptions=topics,
                                  on_message=lambda _c, _u, msg: on_message(msg.topic, bytes(msg.payload)))

    def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Send one message (paho queues it if the connection is briefly down)."""
        self.client.publish(topic, payload, qos=qos)

    def is_connected(self) -> bool:
        """Whether the broker connection is up (the readiness probe)."""
        return bool(self.client.is_connected())

    def stop_receiving(self, timeout: float = 10.0) -> None:
        """Unsubscribe and wait for the broker to confirm, so it routes nothing new here."""
        unsubscribed = threading.Event()
        self.client.on_unsubscribe = lambda *_args: unsubscribed.set()
        if self.client.unsubscribe(list(self.topics))[0] == paho.MQTT_ERR_SUCCESS:
            unsubscribed.wait(timeout)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def ingest_connector(url: str) -> Callable[[str, tuple[str, ...], Callable[[str, bytes], None]],
                                           MqttIngestConnection]:
    """What the ingest worker connects with: (client id, topics, on_message) → a subscribed connection."""
    def connect(client_id: str, topics: tuple[str, ...],
                on_message: Callable[[str, bytes], None]) -> MqttIngestConnection:
        return MqttIngestConnection(url, client_id, topics, on_message)
    return connect
