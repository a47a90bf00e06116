"""bench/fleet-watch.py: the observer of bench/fleet. Subscribed to every printer's
lastWill/report (the online state each agent publishes, retained, on every connect), it writes
one line per report: "<epoch ms> <device id> <state> <retained 0|1>", and "<epoch ms> -
connected" each time it (re)connects; it reconnects every 20 ms while the broker is down.
With --retained it connects once, collects the retained states for --seconds, prints how many
devices are online and offline, and exits."""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minimqtt  # noqa: E402

FILTER = "anycubic/anycubicCloud/v1/printer/public/+/+/lastWill/report"


def state_of(topic, body):
    try:
        state = json.loads(body).get("state")
    except ValueError:
        state = "unparsable"
    return topic.split("/")[-3], state


def retained_states(port, seconds):
    client = minimqtt.Client(port, "fleet-check-%d" % os.getpid())
    client.connect()
    states = {}
    messages = client.subscribe(FILTER)
    deadline = time.monotonic() + seconds
    while True:
        for topic, body, retained in messages:
            if retained:
                device, state = state_of(topic, body)
                states[device] = state
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        messages = client.poll(remaining)
    client.close()
    online = sum(1 for state in states.values() if state == "online")
    print("%d %d" % (online, len(states) - online))


def watch(port, path):
    client = minimqtt.Client(port, "fleet-watch-%d" % os.getpid())
    with open(path, "a", buffering=1) as log:
        while True:
            if not client.connected:
                try:
                    client.connect(timeout=1)
                    early = client.subscribe(FILTER)
                except OSError:
                    time.sleep(0.02)
                    continue
                log.write("%d - connected\n" % (time.time() * 1000))
            else:
                try:
                    early = client.poll(5)
                except ConnectionError:
                    continue
            now = time.time() * 1000
            for topic, body, retained in early:
                device, state = state_of(topic, body)
                log.write("%d %s %s %d\n" % (now, device, state, retained))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", help="watch: the file to append to")
    parser.add_argument("--retained", action="store_true", help="count the retained states once")
    parser.add_argument("--seconds", type=float, default=3)
    args = parser.parse_args()
    if args.retained:
        retained_states(args.port, args.seconds)
    else:
        watch(args.port, args.log)


if __name__ == "__main__":
    main()
