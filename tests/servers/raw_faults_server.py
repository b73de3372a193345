#!/usr/bin/env python3
"""A raw-socket HTTP/1.1 server that misbehaves on purpose, for perfgate's
fault-matrix end-to-end test (tests/e2e/test_fault_matrix.sh).

Each request picks its fault from its path: the test points perfgate at
http://127.0.0.1:PORT/<mode>[/<key>=<value>...]/v1 and the adapter appends
its own path (/chat/completions). Answers are OpenAI chat completions:
SSE when the request asked to stream, one JSON object otherwise.

Modes:
  ok                  a well-formed answer (chunked SSE or Content-Length JSON)
  delay/ms=N          N ms of silence before the first byte, then as ok
  reset               reads the request, then resets the connection (RST,
                      SO_LINGER 0) before any response byte
  reset_mid/n=K       headers and K content events, then RST
  no_done/n=K         SSE read until close: K content events, then FIN with
                      no [DONE] (the HTTP response is complete, the stream
                      is not)
  cut_chunked/n=K     chunked SSE: K events, then FIN before the last chunk
                      (the HTTP response itself is cut off)
  malformed           lines without a field, then data: lines that are not
                      JSON, then [DONE]
  stream_error        one content event, then data: {"error": {...}}, [DONE]
  long_line/mb=M      SSE headers, then "data: " and M MiB without a newline,
                      then FIN
  big_body/mb=M       200 application/json with a Content-Length body of
                      M MiB (spaces, then "x": never valid JSON)
  status/code=C[/ra=N][/date=1]
                      status C with an OpenAI error body and, with ra, a
                      Retry-After of N seconds (date=1: as an HTTP-date at
                      least N s ahead)
  flaky/code=C[/ra=N][/date=1]
                      odd-numbered requests to this exact path as status,
                      even-numbered ones as ok
  stall/n=K           headers and K content events, then silence until the
                      client leaves

Bytes that are not an HTTP request (a TLS ClientHello sent to this plain
server) get a plain-text 400 and a close: a TLS handshake failure for the
client. --tls-cert/--tls-key serve TLS instead; a failed handshake (a
client that does not trust the certificate) is logged, no request is.

--log FILE gets one line per request read, "<seq> <mode> <t> <path>" (t:
the CLOCK_MONOTONIC time the request was complete, in seconds), and
"0 !<what> <t> -" for connections that never carried a request
(!not-http, !tls-failed). Listens on 127.0.0.1 only; prints
"listening PORT" on stdout once bound.
"""
import argparse
import email.utils
import json
import math
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024

LOCK = threading.Lock()
STATE = {"seq": 0, "paths": {}}
ARGS = None


def log(mode, seq=0, path="-"):
    with LOCK:
        if ARGS.log:
            with open(ARGS.log, "a") as f:
                f.write("%d %s %.6f %s\n" % (seq, mode, time.monotonic(), path))


def next_seq(path):
    """The request's global sequence number and its number on its path."""
    with LOCK:
        STATE["seq"] += 1
        n = STATE["paths"].get(path, 0) + 1
        STATE["paths"][path] = n
        return STATE["seq"], n


def parse_mode(path):
    """'/flaky/code=429/ra=1/v1/chat/completions' -> ('flaky', {...})."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    mode, args = "ok", {}
    if parts and parts[0] != "v1":
        mode = parts[0]
        for p in parts[1:]:
            if p == "v1":
                break
            k, _, v = p.partition("=")
            args[k] = v
    return mode, args


def read_request(sock, buf):
    """Reads one request; returns (method, path, body, rest) or None when
    the client closed, or 'not-http' for bytes that are not a request."""
    while b"\r\n\r\n" not in buf:
        if buf and not (65 <= buf[0] <= 90):
            return "not-http"
        if len(buf) > MAX_HEAD:
            return "not-http"
        try:
            data = sock.recv(65536)
        except (OSError, ssl.SSLError):
            return None
        if not data:
            return None
        buf += data
    if not (65 <= buf[0] <= 90):
        return "not-http"
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, path, _ = lines[0].split(" ", 2)
    except ValueError:
        return "not-http"
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = min(int(value.strip()), MAX_BODY)
    while len(rest) < length:
        try:
            data = sock.recv(65536)
        except (OSError, ssl.SSLError):
            return None
        if not data:
            return None
        rest += data
    return method, path, rest[:length], rest[length:]


def wait_until_gone(sock, seconds):
    """Waits up to seconds; returns False as soon as the client is gone."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return True
        try:
            r, _, _ = select.select([sock], [], [], min(left, 1.0))
            if r and not sock.recv(65536, socket.MSG_PEEK):
                return False
        except (OSError, ValueError, ssl.SSLError):
            return False


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def event(obj):
    return ("data: " + json.dumps(obj) + "\n\n").encode()


def delta(i, content=None, finish=None, role=None):
    d = {}
    if role:
        d["role"] = role
    if content is not None:
        d["content"] = content
    return {"id": "chatcmpl-raw", "object": "chat.completion.chunk", "created": 0,
            "model": "raw", "choices": [{"index": 0, "delta": d, "finish_reason": finish}]}


def content_events(n):
    return [event(delta(i, content="tok%d " % i)) for i in range(n)]


def full_stream(n=4):
    evs = [event(delta(0, role="assistant"))] + content_events(n)
    evs.append(event(delta(n, finish="stop")))
    usage = {"id": "chatcmpl-raw", "object": "chat.completion.chunk", "created": 0,
             "model": "raw", "choices": [],
             "usage": {"prompt_tokens": 3, "completion_tokens": n, "total_tokens": 3 + n}}
    evs.append(event(usage))
    evs.append(b"data: [DONE]\n\n")
    return evs


def json_answer(n=4):
    return json.dumps({
        "id": "chatcmpl-raw", "object": "chat.completion", "created": 0, "model": "raw",
        "choices": [{"index": 0, "message": {"role": "assistant",
                                             "content": " ".join("tok%d" % i for i in range(n))},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": n, "total_tokens": 3 + n}}).encode()


SSE_CHUNKED = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
               b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
SSE_UNTIL_CLOSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                   b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")


def send_ok(sock, stream):
    if stream:
        sock.sendall(SSE_CHUNKED)
        for ev in full_stream():
            sock.sendall(chunk(ev))
        sock.sendall(b"0\r\n\r\n")
    else:
        body = json_answer()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def send_status(sock, args):
    code = int(args.get("code", "429"))
    reason = {429: "Too Many Requests", 503: "Service Unavailable"}.get(code, "Error")
    body = json.dumps({"error": {"message": "injected %d" % code, "type": "raw_fault",
                                 "code": code}}).encode()
    extra = b""
    if "ra" in args:
        ra = int(args["ra"])
        if args.get("date") == "1":
            # a whole-second date at least ra seconds from now
            value = email.utils.formatdate(math.floor(time.time()) + ra + 1, usegmt=True)
        else:
            value = str(ra)
        extra = b"Retry-After: %s\r\n" % value.encode()
    sock.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%s"
                 b"Content-Length: %d\r\n\r\n%s" % (code, reason.encode(), extra, len(body), body))


def reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def answer(sock, mode, args, nth, stream):
    """Answers one request; returns True to keep reading the connection."""
    n = int(args.get("n", "2"))
    if mode == "ok":
        send_ok(sock, stream)
    elif mode == "delay":
        if not wait_until_gone(sock, int(args.get("ms", "100")) / 1000.0):
            return False
        send_ok(sock, stream)
    elif mode == "reset":
        reset(sock)
        return False
    elif mode == "reset_mid":
        sock.sendall(SSE_CHUNKED)
        for ev in content_events(n):
            sock.sendall(chunk(ev))
        reset(sock)
        return False
    elif mode == "no_done":
        sock.sendall(SSE_UNTIL_CLOSE)
        for ev in [event(delta(0, role="assistant"))] + content_events(n):
            sock.sendall(ev)
        return False
    elif mode == "cut_chunked":
        sock.sendall(SSE_CHUNKED)
        for ev in content_events(n):
            sock.sendall(chunk(ev))
        return False
    elif mode == "malformed":
        sock.sendall(SSE_CHUNKED)
        for ev in content_events(1):
            sock.sendall(chunk(ev))
        sock.sendall(chunk(b"this line has no field\n%%%%garbage\n\n"))
        sock.sendall(chunk(b"data: {\"choices\": [{\"delta\": {\"content\": \"x\"\n\n"))
        sock.sendall(chunk(b"data: not json at all\n\n"))
        sock.sendall(chunk(b"data: [DONE]\n\n"))
        sock.sendall(b"0\r\n\r\n")
    elif mode == "stream_error":
        sock.sendall(SSE_CHUNKED)
        for ev in content_events(1):
            sock.sendall(chunk(ev))
        sock.sendall(chunk(event({"error": {"message": "injected in-stream error",
                                            "type": "server_error", "code": 500}})))
        sock.sendall(chunk(b"data: [DONE]\n\n"))
        sock.sendall(b"0\r\n\r\n")
    elif mode == "long_line":
        size = int(float(args.get("mb", "10")) * 1024 * 1024)
        sock.sendall(SSE_UNTIL_CLOSE + b"data: ")
        block = b"x" * (1024 * 1024)
        while size > 0:
            sock.sendall(block[:size])
            size -= len(block)
        return False
    elif mode == "big_body":
        size = int(float(args.get("mb", "70")) * 1024 * 1024)
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Connection: close\r\nContent-Length: %d\r\n\r\n" % size)
        block = b" " * (1024 * 1024)
        while size > 1:
            sock.sendall(block[:size - 1])
            size -= min(len(block), size - 1)
        sock.sendall(b"x")
        return False
    elif mode == "status":
        send_status(sock, args)
    elif mode == "flaky":
        if nth % 2 == 1:
            send_status(sock, args)
        else:
            send_ok(sock, stream)
    elif mode == "stall":
        sock.sendall(SSE_CHUNKED)
        for ev in content_events(n):
            sock.sendall(chunk(ev))
        wait_until_gone(sock, ARGS.max_seconds)
        return False
    else:
        body = b"unknown fault mode"
        sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    return True


def serve_conn(sock, ctx):
    try:
        if ctx is not None:
            try:
                sock = ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                log("!tls-failed")
                sock.close()
                return
        buf = b""
        while True:
            req = read_request(sock, buf)
            if req is None:
                break
            if req == "not-http":
                log("!not-http")
                body = b"this server speaks plain HTTP\n"
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                             b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                break
            method, path, body, buf = req
            mode, args = parse_mode(path)
            seq, nth = next_seq(path)
            log(mode, seq, path)
            try:
                stream = bool(json.loads(body or b"{}").get("stream"))
            except (ValueError, AttributeError):
                stream = False
            if not answer(sock, mode, args, nth, stream):
                return
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log", help="append one line per request read")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--max-seconds", type=float, default=300, help="exit after this long")
    ARGS = p.parse_args()
    ctx = None
    if ARGS.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
    if ARGS.log:
        open(ARGS.log, "w").close()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    print("listening %d" % lsock.getsockname()[1], flush=True)
    threading.Timer(ARGS.max_seconds, lambda: os._exit(0)).start()
    while True:
        conn, _ = lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve_conn, args=(conn, ctx), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
