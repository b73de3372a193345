#!/usr/bin/env python3
"""Writes the generated seed files of tests/fuzz/corpus/{sse,adapters,h1}.

Those targets take a few header bytes before the data (see the comment at
the top of each fuzz_<target>.c); the headers here are chosen printable so
the seeds stay text. The other corpora (suite, results, hist) are copies
of real files and tool output and are not generated here.

    tests/fuzz/gen_seeds.py            # rewrites the generated seeds
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "gen-" + name), "wb") as f:
        f.write(data)


def sse(*events, sep="\n", space=" "):
    out = ""
    for e in events:
        if isinstance(e, (dict, list)):
            e = json.dumps(e, separators=(",", ":"))
        out += "data:" + space + e + sep + sep
    return out


# ---- realistic bodies --------------------------------------------------------

def chat_chunk(content=None, role=None, finish=None, usage=None, choices=True):
    delta = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    c = {"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1700000000,
         "model": "meta-llama/Llama-3.1-8B-Instruct"}
    c["choices"] = ([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
                    if choices else [])
    if usage:
        c["usage"] = usage
    return c


USAGE = {"prompt_tokens": 12, "total_tokens": 17, "completion_tokens": 5}

VLLM_CHAT_STREAM = sse(chat_chunk("", role="assistant"), chat_chunk("Hello"),
                       chat_chunk(" w\u00f6rld"), chat_chunk(None, finish="stop"),
                       chat_chunk(choices=False, usage=USAGE), "[DONE]")
OPENAI_CHAT_STREAM_CRLF = sse(chat_chunk("", role="assistant"), chat_chunk("Hi"),
                              chat_chunk(None, finish="length"), "[DONE]", sep="\r\n")
CHAT_STREAM_KEEPALIVE = (": keep-alive\n\n" + sse(chat_chunk("a")) + ": ping\n\n" +
                         "event: message\nid: 3\nretry: 1000\n" +
                         "data: " + json.dumps(chat_chunk("b")) + "\n\n" + "data: [DONE]\n\n")
CHAT_STREAM_ERROR = sse(chat_chunk("x"),
                        {"error": {"object": "error", "message": "The model ran out of KV "
                                   "cache", "type": "InternalServerError", "param": None,
                                   "code": 500}})
CHAT_STREAM_CUT = sse(chat_chunk("a"), chat_chunk("b"))[:-7]
CHAT_WHOLE = json.dumps({
    "id": "chatcmpl-9", "object": "chat.completion", "created": 1700000000, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris is the capital."},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}})
OPENAI_ERROR = json.dumps({"error": {"message": "Rate limit reached", "type": "requests",
                                     "param": None, "code": "rate_limit_exceeded"}})


def cmpl_chunk(text, finish=None):
    return {"id": "cmpl-3", "object": "text_completion", "created": 1700000000, "model": "m",
            "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish}]}


CMPL_STREAM = sse(cmpl_chunk(" Once"), cmpl_chunk(" upon"), cmpl_chunk("", finish="length"),
                  {"id": "cmpl-3", "object": "text_completion", "choices": [],
                   "usage": USAGE}, "[DONE]")
CMPL_WHOLE = json.dumps({"id": "cmpl-4", "object": "text_completion", "model": "m",
                         "choices": [{"index": 0, "text": " a time", "finish_reason": "length"}],
                         "usage": USAGE})
EMB_WHOLE = json.dumps({"object": "list", "model": "bge-small",
                        "data": [{"object": "embedding", "index": 0,
                                  "embedding": [0.0123, -0.25, 1e-3, 0.5]},
                                 {"object": "embedding", "index": 1,
                                  "embedding": "AACAPwAAAEA="}],
                        "usage": {"prompt_tokens": 8, "total_tokens": 8}})


def tgi_token(i, text, special=False, gen=None, details=None):
    return {"index": i, "token": {"id": 100 + i, "text": text, "logprob": -0.25,
                                  "special": special},
            "generated_text": gen, "details": details}


TGI_STREAM = sse(tgi_token(1, "Hello"), tgi_token(2, " w\u00f6rld"),
                 tgi_token(3, "</s>", True, "Hello w\u00f6rld",
                           {"finish_reason": "eos_token", "generated_tokens": 3, "seed": None}),
                 space="")
TGI_STREAM_ERROR = sse(tgi_token(1, "a"), {"error": "Request failed during generation: CUDA "
                                           "out of memory", "error_type": "generation"},
                       space="")
TGI_WHOLE = json.dumps({"generated_text": "Hello world",
                        "details": {"finish_reason": "length", "generated_tokens": 2,
                                    "seed": None, "prefill": [], "tokens": []}})
TGI_WHOLE_LIST = json.dumps([{"generated_text": "Hi"}])
TGI_ERROR = json.dumps({"error": "Input validation error: `inputs` must have less than 4096 "
                        "tokens", "error_type": "validation"})


def nd(*objs):
    return "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in objs)


OLLAMA_CHAT_STREAM = nd(
    {"model": "llama3.2", "created_at": "2024-09-01T10:00:00.1Z",
     "message": {"role": "assistant", "content": "The"}, "done": False},
    {"model": "llama3.2", "created_at": "2024-09-01T10:00:00.2Z",
     "message": {"role": "assistant", "content": " sky"}, "done": False},
    {"model": "llama3.2", "created_at": "2024-09-01T10:00:00.3Z",
     "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop",
     "total_duration": 4883583458, "load_duration": 1334875, "prompt_eval_count": 26,
     "prompt_eval_duration": 342546000, "eval_count": 2, "eval_duration": 4535599000})
OLLAMA_GEN_STREAM = nd(
    {"model": "llama3.2", "created_at": "2024-09-01T10:00:00Z", "response": "Blue",
     "done": False},
    {"model": "llama3.2", "created_at": "2024-09-01T10:00:01Z", "response": "",
     "done": True, "done_reason": "length", "context": [1, 2, 3], "prompt_eval_count": 5,
     "eval_count": 1})
OLLAMA_ERROR = nd({"error": "model \"llama9\" not found, try pulling it first"})
OLLAMA_WHOLE = json.dumps({"model": "llama3.2", "created_at": "2024-09-01T10:00:00Z",
                           "message": {"role": "assistant", "content": "Hi there"},
                           "done": True, "prompt_eval_count": 3, "eval_count": 2})

KS_INFER = json.dumps({"model_name": "llm", "model_version": "1", "id": "42",
                       "outputs": [{"name": "text_output", "datatype": "BYTES", "shape": [1],
                                    "data": ["Hello world"]},
                                   {"name": "num_input_tokens", "datatype": "UINT32",
                                    "shape": [1], "data": [7]},
                                   {"name": "num_output_tokens", "datatype": "UINT32",
                                    "shape": [1], "data": [2]}]})
KS_INFER_BATCH = json.dumps({"model_name": "llm", "outputs": [
    {"name": "text_output", "datatype": "BYTES", "shape": [1, 1], "data": [["Hi"]]}]})
KS_GENERATE = json.dumps({"model_name": "llm", "model_version": "1", "text_output": "Hello",
                          "num_input_tokens": 4, "num_output_tokens": 1})
KS_GENERATE_STREAM = sse({"model_name": "llm", "model_version": "1", "text_output": "Hel"},
                         {"model_name": "llm", "model_version": "1", "text_output": "lo",
                          "num_output_tokens": 1},
                         {"model_name": "llm", "model_version": "1", "text_output": ""})
KS_ERROR = json.dumps({"error": "Request for unknown model: 'llm' is not found"})
KS_STREAM_ERROR = sse({"model_name": "llm", "text_output": "a"},
                      {"error": "in ensemble 'ensemble', Executor failed"})

HJ_SSE = sse({"choices": [{"delta": {"content": "x"}, "finish_reason": None}]},
             {"choices": [{"delta": {"content": "y"}, "finish_reason": "stop"}],
              "usage": {"completion_tokens": 2}})
HJ_LIST = json.dumps([{"generated_text": "abc", "ok": True,
                       "details": {"generated_tokens": 3}}])

# ---- sse target: flags byte, seed byte, stream -------------------------------

SSE_SEEDS = {
    "vllm-chat": ("a", VLLM_CHAT_STREAM),
    "openai-chat-crlf": ("b", OPENAI_CHAT_STREAM_CRLF),
    "keepalive-fields": ("c", CHAT_STREAM_KEEPALIVE),
    "stream-error": ("a", CHAT_STREAM_ERROR),
    "cut": ("`", CHAT_STREAM_CUT),
    "tgi": ("e", TGI_STREAM),
    "multiline-cr": ("a", "\ufeffevent: delta\rdata: line one\rdata: line two\r\r"
                     "data\n\ndata:\n\n:only a comment\n"),
    "small-cap": ("d", sse("x" * 40, "y" * 70, "ok")),
    "ollama-ndjson": ("b", OLLAMA_CHAT_STREAM),
    "ndjson-crlf-blank": ("a", "\ufeff{\"a\":1}\r\n   \r\n\t\n{\"b\":2}"),
}

# ---- adapters target: status, instance, flags, seed, body --------------------
# instances, as in fuzz_adapters.c specs[]
I_CHAT, I_CMPL, I_EMB, I_TGI, I_TGI_ND, I_OLLAMA, I_OLLAMA_GEN, I_KS, I_KS_BATCH, I_KS_GEN, \
    I_KS_GEN_TC, I_HJ, I_HJ_SSE, I_HJ_ND, I_HJ_LIST, I_HTTP = range(16)
CT = {None: 0, "json": 1, "sse": 2, "ndjson": 3, "sse-charset": 4, "json-charset": 5,
      "text": 6, "jsonl": 7}


def adapter_seed(inst, ctype, streamed, body, status=200, chunk=1, seed="s"):
    flags = CT[ctype] | (streamed << 3) | (1 << 4) | (chunk << 5)
    head = bytes([100 + (status - 200), 0x40 + inst, flags, ord(seed)])
    return head + body.encode("utf-8")


ADAPTER_SEEDS = {
    "chat-vllm-stream": (I_CHAT, "sse", 1, VLLM_CHAT_STREAM),
    "chat-openai-crlf": (I_CHAT, "sse-charset", 1, OPENAI_CHAT_STREAM_CRLF),
    "chat-keepalive": (I_CHAT, None, 1, CHAT_STREAM_KEEPALIVE),
    "chat-stream-error": (I_CHAT, "sse", 1, CHAT_STREAM_ERROR),
    "chat-stream-cut": (I_CHAT, "sse", 1, CHAT_STREAM_CUT),
    "chat-whole": (I_CHAT, "json", 0, CHAT_WHOLE),
    "chat-error-body": (I_CHAT, "json-charset", 0, OPENAI_ERROR),
    "cmpl-stream": (I_CMPL, "sse", 1, CMPL_STREAM),
    "cmpl-whole": (I_CMPL, "json", 0, CMPL_WHOLE),
    "emb-whole": (I_EMB, "json", 0, EMB_WHOLE),
    "tgi-stream": (I_TGI, "sse", 1, TGI_STREAM),
    "tgi-stream-error": (I_TGI, "sse", 1, TGI_STREAM_ERROR),
    "tgi-whole": (I_TGI, "json", 0, TGI_WHOLE),
    "tgi-whole-list": (I_TGI_ND, "json", 0, TGI_WHOLE_LIST),
    "tgi-error": (I_TGI, "json", 0, TGI_ERROR),
    "ollama-chat-stream": (I_OLLAMA, "ndjson", 1, OLLAMA_CHAT_STREAM),
    "ollama-gen-stream": (I_OLLAMA_GEN, "ndjson", 1, OLLAMA_GEN_STREAM),
    "ollama-error": (I_OLLAMA, "json", 1, OLLAMA_ERROR),
    "ollama-whole": (I_OLLAMA, "json", 0, OLLAMA_WHOLE),
    "ks-infer": (I_KS, "json", 0, KS_INFER),
    "ks-infer-batch": (I_KS_BATCH, "json", 0, KS_INFER_BATCH),
    "ks-generate": (I_KS_GEN, "json", 0, KS_GENERATE),
    "ks-generate-stream": (I_KS_GEN_TC, "sse", 1, KS_GENERATE_STREAM.replace("text_output", "out")),
    "ks-error": (I_KS, "json", 0, KS_ERROR),
    "ks-stream-error": (I_KS_GEN, "sse", 1, KS_STREAM_ERROR),
    "hj-whole": (I_HJ, "json", 0, CHAT_WHOLE),
    "hj-error": (I_HJ, "json", 0, OPENAI_ERROR),
    "hj-sse": (I_HJ_SSE, "sse", 1, HJ_SSE),
    "hj-ndjson": (I_HJ_ND, "ndjson", 1, OLLAMA_CHAT_STREAM),
    "hj-list": (I_HJ_LIST, "json", 0, HJ_LIST),
    "http-any": (I_HTTP, "text", 0, "OK\n"),
}

# ---- h1 target: flags byte, seed byte, response bytes ------------------------


def h1_flags(head=0, eof=0, chunk=1, small=0):
    return chr(0x20 | head | (eof << 1) | (chunk << 2) | (small << 4))


def chunked(*pieces, ext=""):
    out = ""
    for p in pieces:
        out += "%x%s\r\n%s\r\n" % (len(p.encode("utf-8")), ext, p)
    return out + "0\r\n\r\n"


H1_SEEDS = {
    "content-length": (h1_flags(), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 15\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n"
                       "{\"ok\": true}\n\n\n"),
    "chunked-sse": (h1_flags(chunk=2), "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; "
                    "charset=utf-8\r\ntransfer-encoding: chunked\r\ncache-control: no-cache\r\n"
                    "\r\n" + chunked("data: {\"a\":1}\n\n", "data: [DONE]\n\n")),
    "chunked-ext-trailers": (h1_flags(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked"
                             "\r\n\r\n5;name=val\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n"),
    "keep-alive-pipelined": (h1_flags(chunk=0), "HTTP/1.1 100 Continue\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                             "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    "http10-close": (h1_flags(eof=1), "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                     "until the end"),
    "http10-keepalive": (h1_flags(), "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
                         "Content-Length: 3\r\n\r\nabc"),
    "head": (h1_flags(head=1), "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n"),
    "bare-lf": (h1_flags(), "HTTP/1.1 503 Service Unavailable\nRetry-After: 1\n"
                "Content-Length: 4\nConnection: close\n\nbusy"),
    "error-json": (h1_flags(small=1), "HTTP/1.1 429 Too Many Requests\r\n"
                   "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
                   "{\"error\":\"rate limited\"}\n\n\n"),
    "early-hints": (h1_flags(), "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n"
                    "\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "00A\r\n0123456789\r\n000\r\n\r\n"),
}


def main():
    for name, (flags, stream) in SSE_SEEDS.items():
        write("sse", name, flags + "k" + stream)
    for name, (inst, ctype, streamed, body) in ADAPTER_SEEDS.items():
        write("adapters", name, adapter_seed(inst, ctype, streamed, body))
    for name, (flags, data) in H1_SEEDS.items():
        write("h1", name, flags + "q" + data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
