"""Announces one `_octoprint._tcp` service over mDNS with python-zeroconf, as Avahi does for
the printer from packaging/discovery/octoprint-service's file, until SIGTERM.

    announce.py NAME ADDRESS PORT KEY=VALUE...

NAME is the instance, ADDRESS the IPv4 address of its A record, PORT the API's port, and
the KEY=VALUE pairs its TXT record. Prints `announced` once the service is registered.
"""
import signal
import socket
import sys

from zeroconf import ServiceInfo, Zeroconf


def main() -> None:
    name, address, port, *pairs = sys.argv[1:]
    properties = dict(pair.split("=", 1) for pair in pairs)
    info = ServiceInfo(
        "_octoprint._tcp.local.",
        f"{name}._octoprint._tcp.local.",
        addresses=[socket.inet_aton(address)],
        port=int(port),
        properties=properties,
        server="printer-under-test.local.",
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    zeroconf = Zeroconf()
    try:
        zeroconf.register_service(info)
        print("announced", flush=True)
        while True:
            signal.pause()
    finally:
        zeroconf.unregister_service(info)
        zeroconf.close()


if __name__ == "__main__":
    main()
