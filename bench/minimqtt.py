"""bench/minimqtt.py: the few MQTT 3.1.1 packets bench/fleet and bench/soak need (CONNECT,
SUBSCRIBE, PUBLISH at QoS 0, PINGREQ), on the standard library only, so the benchmark scripts
install nothing. Not a general client: QoS 0 in both directions (the broker downgrades the
agent's QoS 1 reports to the subscription's QoS 0), clean sessions, no TLS."""
import select
import socket
import struct
import time


def _string(value):
    data = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def _packet(kind, body):
    length = len(body)
    header = bytearray([kind])
    while True:
        byte = length % 128
        length //= 128
        header.append(byte | 0x80 if length else byte)
        if not length:
            return bytes(header) + body


class Client:
    """One connection; `connect` again after a ConnectionError to start over."""

    def __init__(self, port, client_id, host="127.0.0.1", keepalive=30):
        self.host, self.port, self.client_id, self.keepalive = host, port, client_id, keepalive
        self.sock = None
        self.buffer = b""
        self.last_sent = 0.0
        self.next_id = 1

    @property
    def connected(self):
        return self.sock is not None

    def connect(self, timeout=2.0):
        """Connects and waits for the CONNACK; raises OSError (ConnectionError) on failure."""
        self.close()
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", self.keepalive) + _string(self.client_id)
        sock.sendall(_packet(0x10, body))
        self.sock, self.buffer = sock, b""
        kind, payload = self._read_packet(timeout)
        if kind != 0x20 or len(payload) < 2 or payload[1] != 0:
            self.close()
            raise ConnectionError("connection refused: %r" % (payload,))
        self.sock.settimeout(None)
        self.last_sent = time.monotonic()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def subscribe(self, topic_filter, timeout=2.0):
        """Subscribes at QoS 0 and waits for the SUBACK (messages before it are returned)."""
        packet_id = self._packet_id()
        self._send(_packet(0x82, struct.pack("!H", packet_id) + _string(topic_filter) + b"\x00"))
        early = []
        deadline = time.monotonic() + timeout
        while True:
            kind, payload = self._read_packet(max(0.0, deadline - time.monotonic()))
            if kind == 0x90:
                return early
            message = self._message(kind, payload)
            if message:
                early.append(message)

    def publish(self, topic, payload, retain=False):
        data = payload.encode() if isinstance(payload, str) else payload
        self._send(_packet(0x30 | (1 if retain else 0), _string(topic) + data))

    def poll(self, timeout):
        """Messages that arrive within `timeout` seconds: a list of (topic, payload, retained).
        Raises ConnectionError when the broker closes the connection."""
        if time.monotonic() - self.last_sent > self.keepalive / 2:
            self._send(b"\xc0\x00")
        ready, _, _ = select.select([self.sock], [], [], timeout)
        messages = []
        if not ready:
            return messages
        self._fill()
        while True:
            packet = self._take()
            if packet is None:
                return messages
            message = self._message(*packet)
            if message:
                messages.append(message)

    def _packet_id(self):
        packet_id = self.next_id
        self.next_id = self.next_id % 65535 + 1
        return packet_id

    def _send(self, data):
        if self.sock is None:
            raise ConnectionError("not connected")
        try:
            self.sock.sendall(data)
        except OSError as error:
            self.close()
            raise ConnectionError(str(error)) from error
        self.last_sent = time.monotonic()

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except OSError as error:
            self.close()
            raise ConnectionError(str(error)) from error
        if not data:
            self.close()
            raise ConnectionError("the broker closed the connection")
        self.buffer += data

    def _take(self):
        """One complete packet from the buffer as (first byte, body), or None."""
        length, multiplier, index = 0, 1, 1
        while True:
            if index >= len(self.buffer):
                return None
            byte = self.buffer[index]
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if not byte & 0x80:
                break
        if len(self.buffer) < index + length:
            return None
        kind, body = self.buffer[0], self.buffer[index:index + length]
        self.buffer = self.buffer[index + length:]
        return kind, body

    def _read_packet(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            packet = self._take()
            if packet is not None:
                return packet
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                self.close()
                raise ConnectionError("no answer from the broker")
            self._fill()

    @staticmethod
    def _message(kind, body):
        if kind & 0xF0 != 0x30:
            return None
        (length,) = struct.unpack("!H", body[:2])
        topic = body[2:2 + length].decode()
        rest = body[2 + length:]
        if kind & 0x06:
            rest = rest[2:]  # a packet id (QoS > 0; not asked for, skipped if sent anyway)
        return topic, rest, bool(kind & 0x01)
