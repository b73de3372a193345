#!/usr/bin/env python3
"""A small OpenAI-compatible server for perfgate's end-to-end tests.

It writes the wire format the way popular servers do, not the way
perfgate's mock does: uvicorn-style chunked transfer encoding, vLLM's
role-first chunk and `usage: null` in every chunk but the last, OpenAI's
keep-alive comments, SSE events split across TCP writes, CRLF line ends.

Modes (--mode):
  vllm       role chunk, content chunks, finish chunk, usage chunk, [DONE]
  nousage    like vllm but never reports usage (tokens must be counted)
  crlf       vllm framing with CRLF line ends and ': ping' comments
  midstream-error  two content chunks then an error object, then [DONE]
  no-done    content chunks, then the connection closes without [DONE]
  http-500   every request gets 500 with an OpenAI error body
  judge      a grading model for perfgate's `judge` scorer: chat and
             completions answer, non-streamed, a grade derived from the
             prompt's sections as the judge scorer's built-in template
             writes them ([REFERENCE ANSWER] ... [/REFERENCE ANSWER],
             [ANSWER TO GRADE] ... [/ANSWER TO GRADE]): "Score: 9/10 ..."
             when the answer contains the reference text, "Score: 2/10 ..."
             when it does not, "Score: 5/10 ..." without a reference, and
             "I cannot grade this." (no score) when the question section
             contains NOSCORE. --count-file FILE appends one line per
             graded request: its CLOCK_MONOTONIC time in ns.
Listens on 127.0.0.1 only; prints "listening PORT" on stdout once bound.

Besides chat and completions, in every mode but http-500:
  .../embeddings  OpenAI embeddings of "input" (a string or a list of them):
                  `dimensions` numbers each (default 8), base64 floats with
                  "encoding_format": "base64", usage.prompt_tokens = words.
                  ?error=1 answers 200 with an error object, ?malformed=1
                  with an empty data list.
  .../json-echo   a model API of no particular vendor, for the http-json
                  adapter. The request must be a JSON object with a string
                  prompt in "inputs", "prompt" or "input" (else 400) and may
                  give a limit in "max_tokens" or parameters.max_new_tokens.
                  ?stream=none (default): {"result": {"outputs": [{"text"}]},
                  "stats": {"input_tokens", "output_tokens"}, "error": null}.
                  ?stream=sse: events {"token": {"text"}}, a last one with
                  "done": true and "stats", then [DONE]. ?stream=ndjson: the
                  same events as lines. ?error=1 answers with an error: the
                  whole body's "error" object, or in a stream an event
                  {"error": "..."} after two tokens. input_tokens counts the
                  prompt's words.
"""
import argparse
import base64
import json
import re
import socket
import struct
import threading
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ARGS = None
COUNT_LOCK = threading.Lock()


def _section(text, name):
    m = re.search(r"\[%s\]\n(.*?)\n\[/%s\]" % (re.escape(name), re.escape(name)), text, re.S)
    return m.group(1) if m else None


def judge_reply(prompt):
    """The judge mode's deterministic grade of a grading prompt."""
    question = _section(prompt, "QUESTION") or ""
    ref = _section(prompt, "REFERENCE ANSWER")
    answer = _section(prompt, "ANSWER TO GRADE")
    if "NOSCORE" in question:
        return "I cannot grade this."
    if answer is None:
        return "Score: 0/10\nThere is no answer section."
    if ref is None:
        return "Score: 5/10\nThere is no reference to compare with."
    if ref.strip() and ref.strip() in answer:
        return "Score: 9/10\nThe answer agrees with the reference."
    return "Score: 2/10\nThe answer misses the reference."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunk(self, data):
        if not data:
            return
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _event(self, obj, eol=b"\n"):
        payload = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        frame = b"data: " + payload + eol + eol
        # split every event in two TCP writes to exercise partial frames
        half = len(frame) // 2
        self._chunk(frame[:half])
        time.sleep(0.0005)
        self._chunk(frame[half:])

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": ARGS.model, "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            req = json.loads(raw)
        except ValueError:
            self._send_json(400, {"error": {"message": "bad json", "type": "invalid_request_error"}})
            return
        if ARGS.require_auth and self.headers.get("Authorization") != "Bearer " + ARGS.require_auth:
            self._send_json(401, {"error": {"message": "bad key", "type": "auth"}})
            return
        if ARGS.mode == "http-500":
            self._send_json(500, {"error": {"message": "boom", "type": "server_error"}})
            return
        route = urlsplit(self.path)
        if ARGS.mode == "judge":
            self._judge(req, route.path.rstrip("/").endswith("/chat/completions"))
            return
        if route.path.rstrip("/").endswith("/embeddings"):
            self._embeddings(req, parse_qs(route.query))
            return
        if route.path.rstrip("/").endswith("/json-echo"):
            self._json_echo(req, parse_qs(route.query))
            return
        chat = route.path.rstrip("/").endswith("/chat/completions")
        n = int(req.get("max_tokens") or req.get("max_completion_tokens") or 16)
        n = min(n, ARGS.tokens) if ARGS.tokens else n
        if not req.get("stream"):
            text = "".join("w%d " % i for i in range(n))
            choice = {"index": 0, "finish_reason": "length"}
            if chat:
                choice["message"] = {"role": "assistant", "content": text}
            else:
                choice["text"] = text
            time.sleep(ARGS.delay_ms * n / 1000.0)
            self._send_json(200, {"id": "x", "object": "chat.completion" if chat else "text_completion",
                                  "model": ARGS.model, "choices": [choice],
                                  "usage": {"prompt_tokens": 3, "completion_tokens": n, "total_tokens": n + 3}})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        eol = b"\r\n" if ARGS.mode == "crlf" else b"\n"
        usage_opt = (req.get("stream_options") or {}).get("include_usage")
        report_usage = usage_opt and ARGS.mode != "nousage"

        def chunk(delta=None, text=None, finish=None):
            c = {"index": 0, "finish_reason": finish, "logprobs": None}
            if chat:
                c["delta"] = delta if delta is not None else {}
            else:
                c["text"] = text or ""
            obj = {"id": "cmpl-1", "object": "chat.completion.chunk" if chat else "text_completion",
                   "created": 1, "model": ARGS.model, "choices": [c]}
            if report_usage:
                obj["usage"] = None
            return obj

        if chat:
            self._event(chunk(delta={"role": "assistant", "content": ""}), eol)
        for i in range(n):
            time.sleep(ARGS.delay_ms / 1000.0)
            if ARGS.mode == "crlf" and i % 3 == 0:
                self._chunk(b": ping" + eol)
            if ARGS.mode == "midstream-error" and i == 2:
                self._event({"error": {"message": "engine overloaded", "type": "server_error", "code": 503}}, eol)
                self._event(b"[DONE]", eol)
                self._chunk(b"")
                self.wfile.write(b"0\r\n\r\n")
                return
            last = i == n - 1
            self._event(chunk(delta={"content": "w%d " % i}, text="w%d " % i,
                              finish="length" if last and ARGS.mode != "no-done" else None), eol)
        if ARGS.mode == "no-done":
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if report_usage:
            self._event({"id": "cmpl-1", "object": "chat.completion.chunk", "created": 1, "model": ARGS.model,
                         "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": n,
                                                  "total_tokens": n + 3}}, eol)
        self._event(b"[DONE]", eol)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


    def _judge(self, req, chat):
        if chat:
            msgs = req.get("messages") if isinstance(req, dict) else None
            prompt = "\n".join(m.get("content") for m in (msgs or [])
                               if isinstance(m, dict) and isinstance(m.get("content"), str))
        else:
            prompt = req.get("prompt") if isinstance(req, dict) else None
        if not isinstance(prompt, str):
            self._send_json(400, {"error": {"message": "no prompt", "type": "invalid_request_error"}})
            return
        text = judge_reply(prompt)
        if ARGS.count_file:
            with COUNT_LOCK, open(ARGS.count_file, "a") as f:
                f.write("%d\n" % time.monotonic_ns())
        choice = {"index": 0, "finish_reason": "stop"}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        n = len(text.split())
        self._send_json(200, {"id": "judge-1", "object": "chat.completion" if chat else "text_completion",
                              "model": ARGS.model, "choices": [choice],
                              "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": n,
                                        "total_tokens": n + len(prompt.split())}})

    def _embeddings(self, req, query):
        if "error" in query:
            self._send_json(200, {"error": {"message": "input is too long for this model",
                                            "type": "invalid_request_error"}})
            return
        if "malformed" in query:
            self._send_json(200, {"object": "list", "data": [], "model": ARGS.model})
            return
        inp = req.get("input") if isinstance(req, dict) else None
        texts = inp if isinstance(inp, list) else [inp]
        if not texts or not all(isinstance(t, str) and t for t in texts):
            self._send_json(400, {"error": {"message": "input must be a non-empty string",
                                            "type": "invalid_request_error"}})
            return
        dims = int(req.get("dimensions") or 8)
        data = []
        for k, text in enumerate(texts):
            vec = [((i * 7919 + len(text)) % 1000) / 1000.0 - 0.5 for i in range(dims)]
            emb = vec
            if req.get("encoding_format") == "base64":
                emb = base64.b64encode(struct.pack("<%df" % dims, *vec)).decode()
            data.append({"object": "embedding", "index": k, "embedding": emb})
        words = sum(len(t.split()) for t in texts)
        time.sleep(ARGS.delay_ms / 1000.0)
        self._send_json(200, {"object": "list", "data": data, "model": ARGS.model,
                              "usage": {"prompt_tokens": words, "total_tokens": words}})

    def _json_echo(self, req, query):
        prompt = None
        if isinstance(req, dict):
            prompt = next((req[k] for k in ("inputs", "prompt", "input") if k in req), None)
        if not isinstance(prompt, str):
            self._send_json(400, {"error": "expected a JSON object with a string prompt"})
            return
        params = req.get("parameters") if isinstance(req.get("parameters"), dict) else {}
        n = int(req.get("max_tokens") or params.get("max_new_tokens") or 16)
        n = min(n, ARGS.tokens) if ARGS.tokens else n
        stats = {"input_tokens": len(prompt.split()), "output_tokens": n}
        stream = (query.get("stream") or ["none"])[0]
        fail = "error" in query
        if stream == "none":
            time.sleep(ARGS.delay_ms * n / 1000.0)
            if fail:
                self._send_json(200, {"result": None, "error": {"message": "model exploded",
                                                                "code": 500}})
                return
            text = "".join("w%d " % i for i in range(n))
            self._send_json(200, {"result": {"outputs": [{"text": text}]}, "stats": stats,
                                  "error": None})
            return
        sse = stream == "sse"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if sse else "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def emit(obj):
            if sse:
                self._event(obj)
                return
            line = json.dumps(obj).encode() + b"\n"
            half = len(line) // 2  # split lines across writes too
            self._chunk(line[:half])
            self._chunk(line[half:])

        for i in range(n):
            time.sleep(ARGS.delay_ms / 1000.0)
            if fail and i == 2:
                emit({"error": "engine overloaded", "error_type": "generation"})
                break
            emit({"token": {"id": i, "text": "w%d " % i}, "done": False, "stats": None})
        else:
            emit({"token": {"id": n, "text": ""}, "done": True, "stats": stats})
            if sse:
                self._event(b"[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="vllm")
    p.add_argument("--model", default="test-model")
    p.add_argument("--tokens", type=int, default=0, help="cap on output tokens")
    p.add_argument("--delay-ms", type=float, default=1.0, help="delay before each token")
    p.add_argument("--require-auth", default="")
    p.add_argument("--count-file", default="", help="judge mode: a line per graded request (monotonic ns)")
    p.add_argument("--tls-cert", default="", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", default="", help="the certificate's private key (PEM)")
    p.add_argument("--tls-client-ca", default="", help="require client certificates from this CA")
    p.add_argument("--max-seconds", type=float, default=300, help="exit after this long")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if ARGS.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        if ARGS.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(ARGS.tls_client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("listening %d" % srv.server_address[1], flush=True)
    # bounded lifetime: the server stops by itself even if a test forgets it
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(ARGS.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
