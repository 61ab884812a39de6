"""One run of an app using the Python SDK, as its own process (tests restart it between runs).

    python -m tests.sdk.sdk_process --url URL --key KEY --queue FILE [--track N --devices D] [--flush SECONDS]

Tracks N events spread over D devices (written to the queue file), flushes for at most SECONDS
(0: one attempt), and prints {"event_ids": [...], "sent", "dropped", "pending"} as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json

from vaimanasoft_sdk import Vaimanasoft


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--track", type=int, default=0)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--flush", type=float, default=0)
    args = parser.parse_args()
    client = Vaimanasoft(args.key, args.url, args.queue, background=False, retry_base=0.2, retry_max=1.0)
    ids = [
        client.track(f"restart-device-{i % args.devices}", "level_up", {"level": i})
        for i in range(args.track)
    ]
    result = client.close(timeout=args.flush)
    print(json.dumps({"event_ids": ids, **dataclasses.asdict(result)}))


if __name__ == "__main__":
    main()
