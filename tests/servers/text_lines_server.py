#!/usr/bin/env python3
"""A plain-text streaming server for the text-lines example adapter
(examples/plugin/), used by tests/e2e/test_plugin_sdk.sh.

POST /generate?max_tokens=N with a text/plain prompt is answered with
text/plain, chunked, one word per line: the prompt's words in turn (again
from the first when they run out) until N words are sent, or as many as the
prompt has without max_tokens. A blank keep-alive line comes first (not a
token), every word is split across two writes, and the last word has no
newline, so the adapter's line handling is exercised. A request that is
not text/plain gets 415.

Modes (--mode):
  ok      as above
  error   two words, then the line "ERROR: engine overloaded", then a word
  json    answers application/json (the adapter must refuse it)
Listens on 127.0.0.1 only; prints "listening PORT" on stdout once bound and
exits after --max-seconds.
"""
import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ARGS = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # each write leaves at once, as a streaming server's would

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _send(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        prompt = self.rfile.read(length).decode("utf-8", "replace")
        if url.path != "/generate":
            self._send(404, "text/plain", b"not found\n")
            return
        if not self.headers.get("Content-Type", "").startswith("text/plain"):
            self._send(415, "text/plain", b"send text/plain\n")
            return
        if ARGS.mode == "json":
            self._send(200, "application/json", b'{"text": "not lines"}')
            return
        words = prompt.split() or ["empty"]
        limit = parse_qs(url.query).get("max_tokens")
        n = int(limit[0]) if limit else len(words)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(b"\n")
        for i in range(n):
            time.sleep(ARGS.delay_ms / 1000.0)
            if ARGS.mode == "error" and i == 2:
                self._chunk(b"ERROR: engine overloaded\n")
            word = words[i % len(words)].encode()
            line = word if i == n - 1 else word + b"\n"
            half = len(line) // 2
            self._chunk(line[:half])
            self._chunk(line[half:])
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="ok", choices=["ok", "error", "json"])
    p.add_argument("--delay-ms", type=float, default=1.0, help="delay before each word")
    p.add_argument("--max-seconds", type=float, default=300, help="exit after this long")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    print("listening %d" % srv.server_address[1], flush=True)
    # bounded lifetime: the server stops by itself even if a test forgets it
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(ARGS.max_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
