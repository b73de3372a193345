/*
 * Incremental HTTP/1.1 response parser; see h1_parser.h. A byte-at-a-time
 * state machine for the status line, headers, chunk-size lines and
 * trailers; body bytes are handed back in runs as pointers into the input.
 */
#include "h1_parser.h"

#include <string.h>

#include "perfgate/common.h"

enum {
	/* status line and header section (counted against max_header) */
	ST_VERSION,    /* "HTTP/1." then the minor digit */
	ST_STATUS_SP,  /* the SP after the version */
	ST_CODE,       /* three digits */
	ST_AFTER_CODE, /* SP then reason, or the line end */
	ST_REASON,
	ST_STATUS_LF, /* CR seen on the status line */
	ST_HDR_START, /* start of a header line or the empty line */
	ST_HDR_NAME,
	ST_HDR_WS, /* blanks before a value */
	ST_HDR_VALUE,
	ST_HDR_LF,	/* CR seen at the end of a header line */
	ST_HDRS_END_LF, /* CR seen on the empty line */
	/* trailer section (counted against max_header) */
	ST_TRAILER_START,
	ST_TRAILER_LINE,
	ST_TRAILER_LF,
	ST_TRAILER_END_LF,
	/* chunk-size line (counted against PG_H1_MAX_CHUNK_LINE) */
	ST_CHUNK_SIZE,
	ST_CHUNK_SIZE_WS, /* blanks after the size, before ';' or CR */
	ST_CHUNK_EXT,
	ST_CHUNK_SIZE_LF,
	/* body */
	ST_CHUNK_DATA,
	ST_CHUNK_DATA_CR,
	ST_CHUNK_DATA_LF,
	ST_BODY_LENGTH,
	ST_BODY_CLOSE,
	ST_DONE_PENDING, /* the body is complete; report DONE on the next call */
	ST_IDLE,	 /* DONE was reported; reset before the next response */
	ST_ERROR
};

/* Which header a line holds. */
enum {
	H_OTHER,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_CONNECTION,
	H_CONTENT_TYPE,
	H_RETRY_AFTER
};

/* Sub-states of a Content-Length value and of list elements. */
enum { V_START, V_IN, V_AFTER_WS, V_BOGUS };

static const char version_lit[] = "HTTP/1.";

static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP, HTAB and obs-text: anything but other control bytes. */
static int is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Clears what one response (final or interim) sets. */
static void clear_response(pg_h1_parser *p)
{
	p->status = 0;
	p->version_minor = 0;
	p->keep_alive = 0;
	p->framing = PG_H1_FRAMING_NONE;
	p->content_length = -1;
	p->has_content_type = 0;
	p->content_type[0] = '\0';
	p->has_retry_after = 0;
	p->retry_after[0] = '\0';
	p->remaining = 0;
	p->state = ST_VERSION;
	p->idx = 0;
	p->te_present = 0;
	p->te_chunked = 0;
	p->conn_close = 0;
	p->conn_keep = 0;
}

void pg_h1_parser_init(pg_h1_parser *p, size_t max_header_bytes)
{
	memset(p, 0, sizeof(*p));
	p->max_header = max_header_bytes ? max_header_bytes : PG_H1_DEFAULT_MAX_HEADER;
	pg_h1_parser_reset(p, 0);
}

void pg_h1_parser_reset(pg_h1_parser *p, int head_request)
{
	clear_response(p);
	p->error = NULL;
	p->head = head_request != 0;
	p->started = 0;
	p->section_bytes = 0;
}

int pg_h1_parser_started(const pg_h1_parser *p)
{
	return p->started;
}

static int fail(pg_h1_parser *p, pg_h1_piece *piece, size_t at, const char *msg)
{
	p->state = ST_ERROR;
	p->error = msg;
	piece->consumed = at;
	return PG_EPARSE;
}

/* The header name is complete (at ':'): which header is it? */
static void name_done(pg_h1_parser *p)
{
	static const struct {
		const char *name;
		int id;
	} known[] = {{"content-length", H_CONTENT_LENGTH},
		     {"transfer-encoding", H_TRANSFER_ENCODING},
		     {"connection", H_CONNECTION},
		     {"content-type", H_CONTENT_TYPE},
		     {"retry-after", H_RETRY_AFTER}};
	size_t i;

	p->hdr = H_OTHER;
	if ((size_t)p->name_len < sizeof(p->name)) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if (strlen(known[i].name) == (size_t)p->name_len &&
			    memcmp(known[i].name, p->name, (size_t)p->name_len) == 0) {
				p->hdr = known[i].id;
				break;
			}
		}
	}
	p->vstate = V_START;
	p->elem_len = 0;
	p->cl_value = 0;
	p->cl_digits = 0;
	if (p->hdr == H_CONTENT_TYPE) {
		p->ct_len = 0;
		p->ct_end = 0;
		p->has_content_type = 1;
	}
	if (p->hdr == H_RETRY_AFTER) {
		if (p->has_retry_after) /* the first one wins */
			p->hdr = H_OTHER;
		p->ra_len = 0;
		p->ra_end = 0;
	}
}

/* One element of a Transfer-Encoding or Connection list is complete. */
static void elem_done(pg_h1_parser *p)
{
	int known = p->vstate != V_BOGUS && (size_t)p->elem_len < sizeof(p->elem);
	size_t n = (size_t)p->elem_len;

	if (p->vstate == V_START) /* an empty element: "a, , b" */
		return;
	if (p->hdr == H_TRANSFER_ENCODING) {
		p->te_present = 1;
		p->te_chunked = known && n == 7 && memcmp(p->elem, "chunked", 7) == 0;
	} else if (known && n == 5 && memcmp(p->elem, "close", 5) == 0) {
		p->conn_close = 1;
	} else if (known && n == 10 && memcmp(p->elem, "keep-alive", 10) == 0) {
		p->conn_keep = 1;
	}
	p->vstate = V_START;
	p->elem_len = 0;
}

/* One value byte (not CR or LF) of an interesting header. Returns an error
 * message or NULL. */
static const char *value_byte(pg_h1_parser *p, unsigned char c)
{
	int blank = c == ' ' || c == '\t';

	switch (p->hdr) {
	case H_CONTENT_LENGTH:
		if (c >= '0' && c <= '9') {
			if (p->vstate == V_AFTER_WS || ++p->cl_digits > 18)
				return "bad Content-Length";
			p->cl_value = p->cl_value * 10 + (c - '0');
			p->vstate = V_IN;
		} else if (blank && p->vstate == V_IN) {
			p->vstate = V_AFTER_WS;
		} else if (!blank) {
			return "bad Content-Length";
		}
		return NULL;
	case H_CONTENT_TYPE:
		if (p->ct_len < sizeof(p->content_type) - 1) {
			p->content_type[p->ct_len++] = (char)c;
			if (!blank)
				p->ct_end = p->ct_len;
		}
		return NULL;
	case H_RETRY_AFTER:
		if (p->ra_len < sizeof(p->retry_after) - 1) {
			p->retry_after[p->ra_len++] = (char)c;
			if (!blank)
				p->ra_end = p->ra_len;
		}
		return NULL;
	case H_TRANSFER_ENCODING:
	case H_CONNECTION:
		if (c == ',') {
			elem_done(p);
		} else if (blank) {
			if (p->vstate == V_IN)
				p->vstate = V_AFTER_WS;
		} else if (p->vstate == V_AFTER_WS || !is_tchar(c)) {
			/* "a b" or parameters ("gzip;q=1"): not a bare token */
			p->vstate = V_BOGUS;
		} else if (p->vstate != V_BOGUS) {
			if ((size_t)p->elem_len < sizeof(p->elem))
				p->elem[p->elem_len] = (char)lower(c);
			if ((size_t)p->elem_len <= sizeof(p->elem))
				p->elem_len++;
			p->vstate = V_IN;
		}
		return NULL;
	default:
		return NULL;
	}
}

/* The value of the current header line is complete. */
static const char *line_done(pg_h1_parser *p)
{
	switch (p->hdr) {
	case H_CONTENT_LENGTH:
		if (p->cl_digits == 0)
			return "bad Content-Length";
		if (p->content_length >= 0 && p->content_length != p->cl_value)
			return "conflicting Content-Length headers";
		p->content_length = p->cl_value;
		break;
	case H_CONTENT_TYPE:
		p->content_type[p->ct_end] = '\0';
		break;
	case H_RETRY_AFTER:
		p->retry_after[p->ra_end] = '\0';
		p->has_retry_after = p->ra_end > 0;
		break;
	case H_TRANSFER_ENCODING:
	case H_CONNECTION:
		elem_done(p);
		break;
	default:
		break;
	}
	return NULL;
}

/* The header section is complete: decide the framing. Returns 1 for a
 * final response, 0 for a skipped interim one, -1 on error (msg set). */
static int headers_done(pg_h1_parser *p, const char **msg)
{
	if (p->status < 200) {
		if (p->status == 101) {
			*msg = "unexpected 101 Switching Protocols";
			return -1;
		}
		clear_response(p); /* section_bytes goes on counting */
		return 0;
	}
	if (p->version_minor >= 1)
		p->keep_alive = !p->conn_close;
	else
		p->keep_alive = p->conn_keep && !p->conn_close;
	if (p->head || p->status == 204 || p->status == 304) {
		p->framing = PG_H1_FRAMING_NONE;
		p->state = ST_DONE_PENDING;
	} else if (p->te_present) {
		if (p->content_length >= 0)
			p->keep_alive = 0; /* both framings: do not trust the connection */
		if (p->te_chunked) {
			p->framing = PG_H1_FRAMING_CHUNKED;
			p->state = ST_CHUNK_SIZE;
			p->chunk_line = 0;
			p->idx = 0;
		} else {
			p->framing = PG_H1_FRAMING_CLOSE;
			p->keep_alive = 0;
			p->state = ST_BODY_CLOSE;
		}
	} else if (p->content_length >= 0) {
		p->framing = p->content_length ? PG_H1_FRAMING_LENGTH : PG_H1_FRAMING_NONE;
		p->remaining = (uint64_t)p->content_length;
		p->state = p->content_length ? ST_BODY_LENGTH : ST_DONE_PENDING;
	} else {
		p->framing = PG_H1_FRAMING_CLOSE;
		p->keep_alive = 0;
		p->state = ST_BODY_CLOSE;
	}
	return 1;
}

/* Runs of body bytes: returns the piece without looking at each byte. */
static int body_run(pg_h1_parser *p, pg_h1_piece *piece, const char *buf, size_t i, size_t len)
{
	size_t n = len - i;

	if (p->state != ST_BODY_CLOSE) {
		if ((uint64_t)n > p->remaining)
			n = (size_t)p->remaining;
		p->remaining -= n;
		if (p->remaining == 0)
			p->state = p->state == ST_CHUNK_DATA ? ST_CHUNK_DATA_CR : ST_DONE_PENDING;
	}
	piece->data = buf + i;
	piece->len = n;
	piece->consumed = i + n;
	return PG_H1_BODY;
}

int pg_h1_parser_feed(pg_h1_piece *piece, pg_h1_parser *p, const char *buf, size_t len)
{
	const char *msg = NULL;
	size_t i = 0;
	int r, d;

	piece->consumed = 0;
	piece->data = NULL;
	piece->len = 0;
	if (p->state == ST_ERROR)
		return PG_EPARSE;
	if (p->state == ST_DONE_PENDING) {
		p->state = ST_IDLE;
		return PG_H1_DONE;
	}
	if (len > 0)
		p->started = 1;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (p->state <= ST_TRAILER_END_LF) {
			if (++p->section_bytes > p->max_header)
				return fail(p, piece, i,
					    p->state >= ST_TRAILER_START
						? "trailer section too large"
						: "header section too large");
		} else if (p->state <= ST_CHUNK_SIZE_LF) {
			if (++p->chunk_line > PG_H1_MAX_CHUNK_LINE)
				return fail(p, piece, i, "chunk size line too long");
		}
		switch (p->state) {
		case ST_VERSION:
			if (p->idx < (int)sizeof(version_lit) - 1) {
				if (c != (unsigned char)version_lit[p->idx]) {
					if (p->idx == 5 && c >= '0' && c <= '9')
						return fail(p, piece, i,
							    "unsupported HTTP version");
					return fail(p, piece, i, "bad status line");
				}
				p->idx++;
			} else {
				if (c < '0' || c > '9')
					return fail(p, piece, i, "bad status line");
				p->version_minor = c - '0';
				p->state = ST_STATUS_SP;
			}
			break;
		case ST_STATUS_SP:
			if (c != ' ')
				return fail(p, piece, i, "bad status line");
			p->state = ST_CODE;
			p->idx = 0;
			p->status = 0;
			break;
		case ST_CODE:
			if (c < '0' || c > '9')
				return fail(p, piece, i, "bad status code");
			p->status = p->status * 10 + (c - '0');
			if (++p->idx == 3) {
				if (p->status < 100)
					return fail(p, piece, i, "bad status code");
				p->state = ST_AFTER_CODE;
			}
			break;
		case ST_AFTER_CODE:
			if (c == ' ')
				p->state = ST_REASON;
			else if (c == '\r')
				p->state = ST_STATUS_LF;
			else if (c == '\n')
				p->state = ST_HDR_START;
			else
				return fail(p, piece, i, "bad status code");
			break;
		case ST_REASON:
			if (c == '\r')
				p->state = ST_STATUS_LF;
			else if (c == '\n')
				p->state = ST_HDR_START;
			else if (!is_value_char(c))
				return fail(p, piece, i, "bad status line");
			break;
		case ST_STATUS_LF:
			if (c != '\n')
				return fail(p, piece, i, "bad status line ending");
			p->state = ST_HDR_START;
			break;
		case ST_HDR_START:
			if (c == '\r') {
				p->state = ST_HDRS_END_LF;
				break;
			}
			if (c == '\n')
				goto headers_end;
			if (c == ' ' || c == '\t')
				return fail(p, piece, i, "obsolete header line folding");
			if (!is_tchar(c))
				return fail(p, piece, i, "bad header name");
			p->name[0] = (char)lower(c);
			p->name_len = 1;
			p->state = ST_HDR_NAME;
			break;
		case ST_HDR_NAME:
			if (c == ':') {
				name_done(p);
				p->state = ST_HDR_WS;
			} else if (is_tchar(c)) {
				if ((size_t)p->name_len < sizeof(p->name))
					p->name[p->name_len++] = (char)lower(c);
			} else {
				return fail(p, piece, i, "bad header name");
			}
			break;
		case ST_HDR_WS:
			if (c == ' ' || c == '\t')
				break;
			p->state = ST_HDR_VALUE;
			/* fall through */
		case ST_HDR_VALUE:
			if (c == '\r' || c == '\n') {
				if ((msg = line_done(p)) != NULL)
					return fail(p, piece, i, msg);
				p->state = c == '\r' ? ST_HDR_LF : ST_HDR_START;
			} else if (!is_value_char(c)) {
				return fail(p, piece, i, "bad header value");
			} else if (p->hdr != H_OTHER && (msg = value_byte(p, c)) != NULL) {
				return fail(p, piece, i, msg);
			}
			break;
		case ST_HDR_LF:
			if (c != '\n')
				return fail(p, piece, i, "bad header line ending");
			p->state = ST_HDR_START;
			break;
		case ST_HDRS_END_LF:
			if (c != '\n')
				return fail(p, piece, i, "bad header line ending");
		headers_end:
			r = headers_done(p, &msg);
			if (r < 0)
				return fail(p, piece, i, msg);
			if (r > 0) {
				piece->consumed = i + 1;
				return PG_H1_HEADERS;
			}
			break;
		case ST_CHUNK_SIZE:
			d = hex_value(c);
			if (d >= 0) {
				if (p->remaining > ((uint64_t)INT64_MAX >> 4))
					return fail(p, piece, i, "chunk size too large");
				p->idx = 1; /* a digit was seen */
				p->remaining = (p->remaining << 4) | (uint64_t)d;
				break;
			}
			if (p->idx == 0)
				return fail(p, piece, i, "bad chunk size");
			if (c == ' ' || c == '\t') {
				p->state = ST_CHUNK_SIZE_WS;
				break;
			}
			/* fall through */
		case ST_CHUNK_SIZE_WS:
			if (c == ';')
				p->state = ST_CHUNK_EXT;
			else if (c == '\r')
				p->state = ST_CHUNK_SIZE_LF;
			else if (c != ' ' && c != '\t')
				return fail(p, piece, i, "bad chunk size");
			break;
		case ST_CHUNK_EXT:
			if (c == '\r')
				p->state = ST_CHUNK_SIZE_LF;
			else if (!is_value_char(c))
				return fail(p, piece, i, "bad chunk extension");
			break;
		case ST_CHUNK_SIZE_LF:
			if (c != '\n')
				return fail(p, piece, i, "bad chunk size line ending");
			if (p->remaining == 0) {
				p->state = ST_TRAILER_START;
				p->section_bytes = 0;
			} else {
				p->state = ST_CHUNK_DATA;
			}
			break;
		case ST_CHUNK_DATA:
		case ST_BODY_LENGTH:
		case ST_BODY_CLOSE:
			return body_run(p, piece, buf, i, len);
		case ST_CHUNK_DATA_CR:
			if (c != '\r')
				return fail(p, piece, i, "missing CRLF after chunk data");
			p->state = ST_CHUNK_DATA_LF;
			break;
		case ST_CHUNK_DATA_LF:
			if (c != '\n')
				return fail(p, piece, i, "missing CRLF after chunk data");
			p->state = ST_CHUNK_SIZE;
			p->chunk_line = 0;
			p->idx = 0;
			p->remaining = 0;
			break;
		case ST_TRAILER_START:
			if (c == '\r') {
				p->state = ST_TRAILER_END_LF;
				break;
			}
			if (c == '\n')
				goto done;
			if (!is_value_char(c))
				return fail(p, piece, i, "bad trailer line");
			p->state = ST_TRAILER_LINE;
			break;
		case ST_TRAILER_LINE:
			if (c == '\r')
				p->state = ST_TRAILER_LF;
			else if (c == '\n')
				p->state = ST_TRAILER_START;
			else if (!is_value_char(c))
				return fail(p, piece, i, "bad trailer line");
			break;
		case ST_TRAILER_LF:
			if (c != '\n')
				return fail(p, piece, i, "bad trailer line ending");
			p->state = ST_TRAILER_START;
			break;
		case ST_TRAILER_END_LF:
			if (c != '\n')
				return fail(p, piece, i, "bad trailer line ending");
		done:
			p->state = ST_IDLE;
			piece->consumed = i + 1;
			return PG_H1_DONE;
		case ST_IDLE:
			return fail(p, piece, i, "data after the end of the response");
		default:
			return fail(p, piece, i, "parser in a bad state");
		}
	}
	piece->consumed = len;
	return PG_H1_AGAIN;
}

int pg_h1_parser_eof(pg_h1_parser *p)
{
	if (p->state == ST_BODY_CLOSE || p->state == ST_DONE_PENDING) {
		p->state = ST_IDLE;
		return PG_H1_DONE;
	}
	if (p->state == ST_IDLE)
		return PG_H1_DONE;
	if (p->state != ST_ERROR) {
		p->state = ST_ERROR;
		p->error = "connection closed before the response ended";
	}
	return PG_EPARSE;
}
