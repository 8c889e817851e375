/* ut_rpc: the 32-byte frame header of every internal link: packing,
 * validating a byte stream (the nw_handlers.decode contract) and parsing.
 * All header fields are big-endian; the CRC32C covers header bytes 0..27
 * followed by the body. docs/protocol.md shows the bytes. */
#include "utils/ut_rpc.h"

#include <limits.h>
#include <string.h>
#include "utils/ut_crc32c.h"

#define UT_RPC_OFF_MAGIC 0
#define UT_RPC_OFF_VERSION 4
#define UT_RPC_OFF_TYPE 5
#define UT_RPC_OFF_COMMAND 6
#define UT_RPC_OFF_SEQUENCE 8
#define UT_RPC_OFF_REQUEST_ID 12
#define UT_RPC_OFF_BODY_LEN 20
#define UT_RPC_OFF_STATUS 24
#define UT_RPC_OFF_CRC 28

static uint16_t ut_rpc_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t ut_rpc_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t ut_rpc_get64(const uint8_t *p)
{
    return ((uint64_t)ut_rpc_get32(p) << 32) | ut_rpc_get32(p + 4);
}

static void ut_rpc_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void ut_rpc_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void ut_rpc_put64(uint8_t *p, uint64_t v)
{
    ut_rpc_put32(p, (uint32_t)(v >> 32));
    ut_rpc_put32(p + 4, (uint32_t)v);
}

/* CRC32C of header bytes 0..27 continued over the body. */
static uint32_t ut_rpc_crc(const uint8_t *hdr, const void *body, size_t body_len)
{
    uint32_t crc = ut_crc32c(0, hdr, UT_RPC_OFF_CRC);
    return body_len ? ut_crc32c(crc, body, body_len) : crc;
}

int ut_rpc_decode(const void *data, size_t len, size_t max_body)
{
    const uint8_t *p = data;
    uint32_t body_len;

    if (len < UT_RPC_HEADER_SIZE)
        return 0;
    if (ut_rpc_get32(p + UT_RPC_OFF_MAGIC) != UT_RPC_MAGIC)
        return UT_RPC_ERR_MAGIC;
    if (p[UT_RPC_OFF_VERSION] < 1)
        return UT_RPC_ERR_VERSION;
    if (p[UT_RPC_OFF_TYPE] < UT_RPC_REQUEST || p[UT_RPC_OFF_TYPE] > UT_RPC_HEARTBEAT)
        return UT_RPC_ERR_TYPE;
    /* Judged from the header alone: a huge length never makes us buffer. */
    body_len = ut_rpc_get32(p + UT_RPC_OFF_BODY_LEN);
    if (body_len > max_body || body_len > (uint32_t)(INT_MAX - UT_RPC_HEADER_SIZE))
        return UT_RPC_ERR_TOO_BIG;
    if (len < UT_RPC_HEADER_SIZE + (size_t)body_len)
        return 0;
    if (ut_rpc_crc(p, p + UT_RPC_HEADER_SIZE, body_len) != ut_rpc_get32(p + UT_RPC_OFF_CRC))
        return UT_RPC_ERR_CRC;
    return (int)(UT_RPC_HEADER_SIZE + body_len);
}

const char *ut_rpc_strerror(int err)
{
    switch (err) {
    case UT_RPC_ERR_MAGIC: return "bad magic";
    case UT_RPC_ERR_VERSION: return "bad protocol version";
    case UT_RPC_ERR_TYPE: return "bad message type";
    case UT_RPC_ERR_TOO_BIG: return "body too large";
    case UT_RPC_ERR_CRC: return "CRC mismatch";
    default: return err < 0 ? "unknown frame error" : "ok";
    }
}

int ut_rpc_parse(const void *frame, size_t len, ut_rpc_msg *out)
{
    const uint8_t *p = frame;

    if (len < UT_RPC_HEADER_SIZE)
        return -1;
    memset(out, 0, sizeof(*out));
    out->version = p[UT_RPC_OFF_VERSION];
    out->type = p[UT_RPC_OFF_TYPE];
    out->command = ut_rpc_get16(p + UT_RPC_OFF_COMMAND);
    out->sequence = ut_rpc_get32(p + UT_RPC_OFF_SEQUENCE);
    out->request_id = ut_rpc_get64(p + UT_RPC_OFF_REQUEST_ID);
    out->body_len = ut_rpc_get32(p + UT_RPC_OFF_BODY_LEN);
    out->status = ut_rpc_get32(p + UT_RPC_OFF_STATUS);
    if ((size_t)out->body_len != len - UT_RPC_HEADER_SIZE)
        return -1;
    out->body = p + UT_RPC_HEADER_SIZE;
    return 0;
}

size_t ut_rpc_pack(const ut_rpc_msg *msg, void *out)
{
    uint8_t *p = out;

    /* The body first: it may already sit at out + 32 (memmove allows that). */
    if (msg->body_len && msg->body != p + UT_RPC_HEADER_SIZE)
        memmove(p + UT_RPC_HEADER_SIZE, msg->body, msg->body_len);
    ut_rpc_put32(p + UT_RPC_OFF_MAGIC, UT_RPC_MAGIC);
    p[UT_RPC_OFF_VERSION] = msg->version ? msg->version : UT_RPC_VERSION;
    p[UT_RPC_OFF_TYPE] = msg->type;
    ut_rpc_put16(p + UT_RPC_OFF_COMMAND, msg->command);
    ut_rpc_put32(p + UT_RPC_OFF_SEQUENCE, msg->sequence);
    ut_rpc_put64(p + UT_RPC_OFF_REQUEST_ID, msg->request_id);
    ut_rpc_put32(p + UT_RPC_OFF_BODY_LEN, msg->body_len);
    ut_rpc_put32(p + UT_RPC_OFF_STATUS, msg->status);
    ut_rpc_put32(p + UT_RPC_OFF_CRC, ut_rpc_crc(p, p + UT_RPC_HEADER_SIZE, msg->body_len));
    return UT_RPC_HEADER_SIZE + msg->body_len;
}
