"""The device side of the protocol: what a terminal's firmware does, used by the simulator and tests."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from typing import Any

import paho.mqtt.client as paho

from bayfin.integrations.mqtt_terminals import make_client
from bayfin.terminals import domain as d
from bayfin.terminals.service import PROVISION_REQUEST, TOPIC_ROOT, decode_signed, encode_signed


def provisioning_request(serial: str, profile: str, profile_secret: str, nonce: str | None = None) -> bytes:
    """The signed claim a device sends to get its own key."""
    nonce = nonce or os.urandom(8).hex()
    return json.dumps({"serial": serial, "profile": profile, "nonce": nonce,
                       "signature": d.sign(profile_secret, f"{serial}:{nonce}")}).encode()


def provision(url: str, serial: str, profile: str, profile_secret: str,
              timeout: float = 10.0) -> dict[str, Any]:
    """Ask for credentials over MQTT, wait for the answer and open the sealed key in it."""
    answers: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    client = make_client(url, f"prov-{serial}-{os.urandom(3).hex()}",
                         subscriptions=(f"bayfin/provision/{serial}/response",),
                         on_message=lambda _c, _u, m: answers.put(bytes(m.payload)))
    nonce = os.urandom(8).hex()
    try:
        client.publish(PROVISION_REQUEST, provisioning_request(serial, profile, profile_secret, nonce), qos=1)
        answer: dict[str, Any] = json.loads(answers.get(timeout=timeout))
        sealed = answer.pop("sealed_key", None)
        answer["device_key"] = None if sealed is None else d.seal_key(profile_secret, nonce, str(sealed))
        return answer
    finally:
        client.loop_stop()
        client.disconnect()


def status_message(key: str, state: str, *, nonce: str | None = None, at: float | None = None) -> bytes:
    """A signed status: "online" names the nonce of the last will armed at connect; "offline" (that
    last will) carries the same nonce, so the ingest accepts it once and only from this device."""
    body: dict[str, Any] = {"state": state, "ts": time.time() if at is None else at}
    if nonce is not None:
        body["will" if state == "online" else "nonce"] = nonce
    return encode_signed(key, body)


class Device:
    """A provisioned terminal connected with its signed last will; it acknowledges commands it receives."""

    def __init__(self, url: str, serial: str, device_key: str, *, ack: bool = True) -> None:
        self.serial = serial
        self.key = device_key
        self.seq = 0
        self.locked = False
        self.commands: list[dict[str, Any]] = []
        self.received = threading.Event()
        self._ack = ack
        base = f"{TOPIC_ROOT}/{serial}"
        # The will is fixed when connecting, so it is signed now with a fresh nonce; the "online"
        # that follows arms that nonce at the ingest.
        self.will_nonce = os.urandom(8).hex()
        self.will = status_message(device_key, "offline", nonce=self.will_nonce)
        self.client = make_client(url, f"dev-{serial}", will=(f"{base}/status", self.will),
                                  subscriptions=(f"{base}/commands",), on_message=self._on_command)
        self.client.publish(f"{base}/status", status_message(device_key, "online", nonce=self.will_nonce),
                            qos=1, retain=True)

    def _on_command(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        signature, text = decode_signed(bytes(msg.payload))
        if not d.signature_valid(self.key, text, signature):
            return  # a device obeys only commands signed with its own key
        body = json.loads(text)
        self.commands.append(body)
        self.received.set()
        if body.get("action") in ("lock", "unlock"):
            self.locked = body["action"] == "lock"
        if self._ack:
            self.client.publish(f"{TOPIC_ROOT}/{self.serial}/acks",
                                encode_signed(self.key, {"command_id": body["command_id"], "status": "ok"}),
                                qos=1)

    def telemetry(self, body: dict[str, Any]) -> paho.MQTTMessageInfo:
        """Publish one signed telemetry message."""
        self.seq += 1
        return self.client.publish(f"{TOPIC_ROOT}/{self.serial}/telemetry",
                                   encode_signed(self.key, {"seq": self.seq, **body}), qos=1)

    def drop(self) -> None:
        """Lose the connection abruptly (the broker then publishes the last will)."""
        sock = self.client.socket()
        self.client.loop_stop()
        if sock is not None:
            sock.close()

    def close(self) -> None:
        """Disconnect cleanly (no last will)."""
        self.client.publish(f"{TOPIC_ROOT}/{self.serial}/status", status_message(self.key, "closed"), qos=1,
                            retain=True).wait_for_publish(5)
        self.client.loop_stop()
        self.client.disconnect()
