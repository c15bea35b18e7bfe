"""Run the emulator on its own: `python -m emulator --port 8443`."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from emulator.server import EmulatorServer
from emulator.state import EmulatorState


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description="Local emulator of Entra ID, Partner Center and Graph")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--tls-dir", type=Path, default=Path("data/emulator-tls"))
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every API request (default 0)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = EmulatorServer(EmulatorState(latency=args.latency_ms / 1000), args.tls_dir, args.port).start()
    print(f"Microsoft API emulator on {server.base_url} (CA certificate: {server.tls.ca_cert})", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
