#!/usr/bin/env python3
"""Native model-server APIs for perfgate's end-to-end tests.

One server speaking, per --protocol, the wire format of:
  tgi     text-generation-inference: POST /generate (JSON) and
          /generate_stream (SSE written as axum does, "data:" and no space;
          one event per token, the last one a special </s> token carrying
          generated_text and details.generated_tokens / input_length)
  ollama  Ollama: POST /api/chat and /api/generate, NDJSON streams
          (application/x-ndjson) ending with a "done": true line holding
          prompt_eval_count and eval_count, or one JSON object
  kserve  Open Inference Protocol v2: POST /v2/models/{model}/infer (BYTES
          text_input tensor in, text_output tensor out) and Triton's
          generate extension /generate and /generate_stream (SSE); token
          counts (num_input_tokens / num_output_tokens) when asked with
          return_num_input_tokens / return_num_output_tokens
Responses go out with chunked transfer encoding, each stream frame split
in two writes.

Modes (--mode):
  ok               well-formed answers
  error            the protocol's error object inside a 200 answer, before
                   any text (a stream's first event or line, or the body)
  midstream-error  two pieces of text, then the error object in the stream
                   (unstreamed answers: as error; needs a limit of 4 or more)
  http-error       the protocol's error body with an HTTP error status
Every answer has min(limit, --tokens) tokens "w0 ", "w1 ", ...; the limit
is the request's own (max_new_tokens, num_predict, max_tokens), else 16.
Input tokens are the prompt's whitespace-separated words. Listens on
127.0.0.1 only; prints "listening PORT" once bound; exits after
--max-seconds.
"""
import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None


def words(text):
    return len(text.split())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    # ---- framing ---------------------------------------------------------

    def send_json(self, status, obj, ctype="application/json"):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def start_chunked(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def frame(self, data):
        # two writes per frame, to exercise partial frames in the client
        half = len(data) // 2
        self.chunk(data[:half])
        self.chunk(data[half:])

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def pause(self):
        time.sleep(ARGS.delay_ms / 1000.0)

    def count(self, limit):
        n = limit if isinstance(limit, int) and limit > 0 else 16
        return min(n, ARGS.tokens) if ARGS.tokens else n

    # ---- dispatch --------------------------------------------------------

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(length))
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError:
            self.send_json(400, {"error": "request body is not a JSON object"})
            return
        handler = {"tgi": self.tgi, "ollama": self.ollama, "kserve": self.kserve}[ARGS.protocol]
        handler(req)

    def do_GET(self):
        self.send_json(404, {"error": "not found"})

    # ---- text-generation-inference ---------------------------------------

    def tgi(self, req):
        stream = self.path == "/generate_stream"
        if self.path not in ("/generate", "/generate_stream"):
            self.send_json(404, {"error": "not found", "error_type": "not_found"})
            return
        inputs, params = req.get("inputs"), req.get("parameters") or {}
        if not isinstance(inputs, str) or not isinstance(params, dict):
            self.send_json(422, {"error": "Input validation error: `inputs` must be a string",
                                 "error_type": "validation"})
            return
        err = {"error": "Request failed during generation: Server error: CUDA out of memory",
               "error_type": "generation"}
        if ARGS.mode == "http-error":
            self.send_json(424, err)
            return
        n = self.count(params.get("max_new_tokens"))
        details = params.get("details") is True
        if not stream:
            if ARGS.mode != "ok":
                self.send_json(200, err)
                return
            time.sleep(ARGS.delay_ms * n / 1000.0)
            text = "".join("w%d " % i for i in range(n))
            out = {"generated_text": text}
            if details:
                out["details"] = {"finish_reason": "length", "generated_tokens": n, "seed": None,
                                  "prefill": [],
                                  "tokens": [{"id": 100 + i, "text": "w%d " % i, "logprob": -0.5,
                                              "special": False} for i in range(n)]}
            self.send_json(200, out)
            return
        self.start_chunked("text/event-stream")

        def event(obj):
            self.frame(b"data:" + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n")

        if ARGS.mode == "error":
            event(err)
            self.end_chunked()
            return
        # n - 1 text tokens, then the special end-of-sequence token
        for i in range(n - 1):
            self.pause()
            if ARGS.mode == "midstream-error" and i == 2:
                event(err)
                self.end_chunked()
                return
            event({"index": i + 1, "token": {"id": 100 + i, "text": "w%d " % i, "logprob": -0.5,
                                             "special": False},
                   "generated_text": None, "details": None})
        self.pause()
        final = {"index": n, "token": {"id": 2, "text": "</s>", "logprob": -0.1, "special": True},
                 "generated_text": "".join("w%d " % i for i in range(n - 1)), "details": None}
        if details:
            final["details"] = {"finish_reason": "eos_token", "generated_tokens": n, "seed": None,
                                "input_length": words(inputs)}
        event(final)
        self.end_chunked()

    # ---- Ollama ----------------------------------------------------------

    def ollama(self, req):
        chat = self.path == "/api/chat"
        if self.path not in ("/api/chat", "/api/generate"):
            self.send_json(404, {"error": "404 page not found"})
            return
        model = req.get("model")
        if not model:
            self.send_json(400, {"error": "model is required"})
            return
        if model != ARGS.model:
            self.send_json(404, {"error": "model '%s' not found" % model})
            return
        if chat:
            msgs = req.get("messages")
            if not isinstance(msgs, list):
                self.send_json(400, {"error": "messages must be an array"})
                return
            prompt = " ".join(m.get("content", "") for m in msgs if isinstance(m, dict))
        else:
            prompt = req.get("prompt")
            if not isinstance(prompt, str):
                self.send_json(400, {"error": "prompt must be a string"})
                return
        err = {"error": "an error was encountered while running the model: unexpected EOF"}
        if ARGS.mode == "http-error":
            self.send_json(500, err, "application/json; charset=utf-8")
            return
        n = self.count((req.get("options") or {}).get("num_predict"))
        stream = req.get("stream", True) is not False
        created = "2025-01-01T00:00:00.000000Z"

        def piece(text, done):
            obj = {"model": model, "created_at": created}
            if chat:
                obj["message"] = {"role": "assistant", "content": text}
            else:
                obj["response"] = text
            obj["done"] = done
            if done:
                obj.update({"done_reason": "length", "total_duration": 1000000 * (n + 1),
                            "load_duration": 100000, "prompt_eval_count": words(prompt),
                            "prompt_eval_duration": 200000, "eval_count": n,
                            "eval_duration": 1000000 * n})
                if not chat:
                    obj["context"] = [1, 2, 3]
            return obj

        if not stream:
            if ARGS.mode != "ok":
                self.send_json(200, err, "application/json; charset=utf-8")
                return
            time.sleep(ARGS.delay_ms * n / 1000.0)
            self.send_json(200, piece("".join("w%d " % i for i in range(n)), True),
                           "application/json; charset=utf-8")
            return
        self.start_chunked("application/x-ndjson")

        def line(obj):
            self.frame(json.dumps(obj).encode() + b"\n")

        if ARGS.mode == "error":
            line(err)
            self.end_chunked()
            return
        for i in range(n):
            self.pause()
            if ARGS.mode == "midstream-error" and i == 2:
                line(err)
                self.end_chunked()
                return
            line(piece("w%d " % i, False))
        line(piece("", True))
        self.end_chunked()

    # ---- KServe v2 / Triton ----------------------------------------------

    def kserve(self, req):
        m = re.fullmatch(r"/v2/models/([^/]+)(?:/versions/[^/]+)?/(infer|generate|generate_stream)",
                         self.path)
        if not m:
            self.send_json(404, {"error": "Not Found"})
            return
        model, op = m.group(1), m.group(2)
        if model != ARGS.model:
            self.send_json(400, {"error": "Request for unknown model: '%s' is not found" % model})
            return
        params = req.get("parameters") or {}
        if op == "infer":
            tensors = {t.get("name"): t for t in req.get("inputs") or [] if isinstance(t, dict)}
            text_in = tensors.get("text_input")
            if not text_in or text_in.get("datatype") != "BYTES" or not text_in.get("data"):
                self.send_json(400, {"error": "expected a BYTES input 'text_input'"})
                return
            prompt = text_in["data"][0]
            for name, t in tensors.items():  # settings sent as input tensors
                if name != "text_input":
                    params.setdefault(name, t.get("data", [None])[0])
        else:
            prompt = req.get("text_input")
            for key in ("max_tokens", "stream", "return_num_input_tokens",
                        "return_num_output_tokens"):
                if key in req:
                    params.setdefault(key, req[key])
        if not isinstance(prompt, str):
            self.send_json(400, {"error": "text_input must be a string"})
            return
        err = {"error": "Error generating stream: engine step failed"}
        if ARGS.mode == "http-error":
            self.send_json(400, err)
            return
        n = self.count(params.get("max_tokens"))
        want_in = params.get("return_num_input_tokens") is True
        want_out = params.get("return_num_output_tokens") is True
        if op == "infer":
            if ARGS.mode != "ok":
                self.send_json(200, err)
                return
            time.sleep(ARGS.delay_ms * n / 1000.0)
            outputs = [{"name": "text_output", "datatype": "BYTES", "shape": [1],
                        "data": ["".join("w%d " % i for i in range(n))]}]
            if want_in:
                outputs.append({"name": "num_input_tokens", "datatype": "UINT32", "shape": [1],
                                "data": [words(prompt)]})
            if want_out:
                outputs.append({"name": "num_output_tokens", "datatype": "UINT32", "shape": [1],
                                "data": [n]})
            self.send_json(200, {"model_name": model, "model_version": "1", "id": "",
                                 "outputs": outputs})
            return

        def response(text, tokens):
            obj = {"model_name": model, "model_version": "1", "text_output": text}
            if want_in:
                obj["num_input_tokens"] = words(prompt)
            if want_out:
                obj["num_output_tokens"] = tokens
            return obj

        if op == "generate":
            if ARGS.mode != "ok":
                self.send_json(200, err)
                return
            time.sleep(ARGS.delay_ms * n / 1000.0)
            self.send_json(200, response("".join("w%d " % i for i in range(n)), n))
            return
        self.start_chunked("text/event-stream; charset=utf-8")

        def event(obj):
            self.frame(b"data: " + json.dumps(obj).encode() + b"\n\n")

        if ARGS.mode == "error":
            event(err)
            self.end_chunked()
            return
        for i in range(n):
            self.pause()
            if ARGS.mode == "midstream-error" and i == 2:
                event(err)
                self.end_chunked()
                return
            event(response("w%d " % i, 1))
        self.end_chunked()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--protocol", required=True, choices=["tgi", "ollama", "kserve"])
    p.add_argument("--mode", default="ok", choices=["ok", "error", "midstream-error", "http-error"])
    p.add_argument("--model", default="test-model", help="the one model served (ollama, kserve)")
    p.add_argument("--tokens", type=int, default=0, help="cap on output tokens")
    p.add_argument("--delay-ms", type=float, default=1.0, help="delay before each token")
    p.add_argument("--max-seconds", type=float, default=300, help="exit after this long")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    print("listening %d" % srv.server_address[1], flush=True)
    # bounded lifetime: the server stops by itself even if a test forgets it
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    time.sleep(ARGS.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
