#!/usr/bin/env python3
"""A test HTTP(S) server for the download tests (Tests/TestSupport/HTTPTestServer.swift).

    http_server.py --root DIR --log FILE [--no-range] [--cert CERT --key KEY]

Serves the files under DIR on 127.0.0.1 at a free port, prints `ready <port>` on standard
output once it listens, and appends one line per request to FILE:
`<method> <path with query> <Range header or -> <User-Agent header or ->`.

Range requests (`Range: bytes=<start>-[<end>]`) get 206 with Content-Range, or 416 when the
start is past the end; `--no-range` answers 200 with the whole file always.

Faults, chosen per request with the query `?fault=<name>`:
  truncate     announce the full length, send half the body, close the connection
  corrupt      flip one byte in the middle of the body
  slow         send the body at `rate` bytes/s (query `rate`, default 10)
  drop         on the first request of this path and query only: send `after` bytes (query
               `after`, default half the body), then close; later requests are served whole
  wronglength  announce 1000 bytes more than the body, send the body, close
  404, 500     answer that status
  redirect     302 to the same path without the query
Python 3 standard library only.
"""
import argparse
import http.server
import os
import ssl
import sys
import threading
import time
import urllib.parse

CHUNK = 64 * 1024


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "printer-agent-test"

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
        pass  # requests are logged to --log instead

    def do_GET(self):
        self.serve(send_body=True)

    def do_HEAD(self):
        self.serve(send_body=False)

    def serve(self, send_body):
        self.server.log_request_line(self.command, self.path, self.headers.get("Range", "-"),
                                     self.headers.get("User-Agent", "-"))
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        fault = query.get("fault", [""])[0]
        if fault in ("404", "500"):
            self.send_error(int(fault))
            return
        if fault == "redirect":
            self.send_response(302)
            self.send_header("Location", url.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.server.resolve(url.path)
        if path is None:
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start, end = 0, size
        status = 200
        ranged = self.headers.get("Range")
        if ranged and not self.server.no_range:
            parsed = parse_range(ranged, size)
            if parsed is None:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start, end = parsed
            status = 206
        length = end - start
        sent = length
        announced = length
        close = False
        if fault == "truncate":
            sent, close = length // 2, True
        elif fault == "wronglength":
            announced, close = length + 1000, True
        elif fault == "drop" and self.server.first_request(self.path):
            sent, close = min(int(query.get("after", [length // 2])[0]), length), True
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(announced))
        self.send_header("Accept-Ranges", "none" if self.server.no_range else "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not send_body:
            return
        rate = int(query.get("rate", ["10"])[0]) if fault == "slow" else 0
        try:
            self.send_file(path, start, sent, corrupt_at=length // 2 if fault == "corrupt" else -1, rate=rate)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def send_file(self, path, start, count, corrupt_at, rate):
        """Sends `count` bytes of the file from `start`, with the byte at body offset
        `corrupt_at` flipped (if >= 0), at `rate` bytes/s (if > 0)."""
        with open(path, "rb") as source:
            source.seek(start)
            offset = 0
            while offset < count:
                piece = source.read(min(CHUNK, count - offset, rate if rate > 0 else CHUNK))
                if not piece:
                    break
                if offset <= corrupt_at < offset + len(piece):
                    flipped = bytearray(piece)
                    flipped[corrupt_at - offset] ^= 0xFF
                    piece = bytes(flipped)
                self.wfile.write(piece)
                self.wfile.flush()
                offset += len(piece)
                if rate > 0:
                    time.sleep(len(piece) / rate)


def parse_range(header, size):
    """(start, end) for `bytes=<start>-[<last>]` within a file of `size` bytes (end exclusive),
    or None when the range cannot be satisfied."""
    unit, _, spec = header.partition("=")
    first, _, last = spec.partition("-")
    if unit.strip() != "bytes" or not first.strip().isdigit():
        return None
    start = int(first)
    end = min(int(last) + 1, size) if last.strip().isdigit() else size
    if start >= size or end <= start:
        return None
    return start, end


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root, log_path, no_range, tls_context):
        super().__init__(("127.0.0.1", 0), Handler)
        self.root = os.path.realpath(root)
        self.no_range = no_range
        self.tls_context = tls_context
        self.lock = threading.Lock()
        self.seen = set()
        self.log = open(log_path, "a", buffering=1)

    def get_request(self):
        connection, address = super().get_request()
        if self.tls_context is not None:
            # The handshake happens in the request's thread (finish_request), not here.
            connection = self.tls_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # a client that does not trust the certificate hangs up here
        super().finish_request(request, client_address)

    def log_request_line(self, method, path, range_header, user_agent):
        with self.lock:
            self.log.write("%s %s %s %s\n" % (method, path, range_header, user_agent))

    def first_request(self, path):
        """True the first time `path` (with its query) is asked for."""
        with self.lock:
            if path in self.seen:
                return False
            self.seen.add(path)
            return True

    def resolve(self, url_path):
        """The file under the root that `url_path` names, or None (missing, or outside)."""
        relative = urllib.parse.unquote(url_path).lstrip("/")
        path = os.path.realpath(os.path.join(self.root, relative))
        if not path.startswith(self.root + os.sep) or not os.path.isfile(path):
            return None
        return path


def main():
    parser = argparse.ArgumentParser(description="test HTTP(S) server for the download tests")
    parser.add_argument("--root", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--no-range", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    context = None
    if arguments.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(arguments.cert, arguments.key)
    server = Server(arguments.root, arguments.log, arguments.no_range, context)
    print("ready %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
