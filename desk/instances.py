"""The desk's processes (instances) and their liveness. Each process renews a heartbeat in the database every
BEAT_SECONDS, valid for VALIDITY, and removes it when it stops. A turn another process claimed counts as dead as
soon as that process's heartbeat has lapsed or is gone, so Teams' redelivery of an activity whose process was
killed mid-turn is processed at once (by any instance) instead of waiting for the claim's lease (TURN_LEASE).

VALIDITY is short so that a copy waiting for a first turn (desk/deliveries.py COPY_WAIT_SECONDS, no longer than
VALIDITY) sees a holder that died before the copy arrived die within its wait; BEAT_SECONDS lets three beats in a
row fail (a slow or briefly unreachable database) before the heartbeat lapses. Instances' clocks must agree to
well under VALIDITY (NTP): heartbeats are written and judged on each instance's own clock."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

BEAT_SECONDS = 3.0
VALIDITY = timedelta(seconds=10)


def instance_id() -> str:
    """A new process's name as holder of its claims, leases and heartbeat: unique, and readable in the database."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
