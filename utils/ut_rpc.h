/* ut_rpc: the framing of every internal link (gateway<->jobmaster,
 * gateway->metarelay, ...). A fixed 32-byte header, big-endian, then the
 * body. docs/protocol.md describes the bytes.
 *
 *   0  u32 magic 0x48464d31 ("HFM1")
 *   4  u8  protocol version (UT_RPC_VERSION)
 *   5  u8  type: 1 request, 2 reply, 3 push, 4 heartbeat
 *   6  u16 command
 *   8  u32 sequence: per connection and direction, +1 per frame sent
 *   12 u64 request id: echoed in the reply; 0 for pushes and heartbeats
 *   20 u32 body length (<= the receiver's limit)
 *   24 u32 status: 0 ok in replies, else an error code; 0 in requests
 *   28 u32 CRC32C over bytes 0..27 and the body
 */
#ifndef UT_RPC_H
#define UT_RPC_H

#include <stddef.h>
#include <stdint.h>

#define UT_RPC_MAGIC 0x48464d31u
#define UT_RPC_VERSION 1
#define UT_RPC_HEADER_SIZE 32
#define UT_RPC_DEFAULT_MAX_BODY (16u * 1024 * 1024)

typedef enum {
    UT_RPC_REQUEST = 1, UT_RPC_REPLY = 2, UT_RPC_PUSH = 3, UT_RPC_HEARTBEAT = 4
} ut_rpc_type;

/* Errors of ut_rpc_decode (negative). */
enum {
    UT_RPC_ERR_MAGIC = -1, UT_RPC_ERR_VERSION = -2, UT_RPC_ERR_TYPE = -3,
    UT_RPC_ERR_TOO_BIG = -4, UT_RPC_ERR_CRC = -5
};

typedef struct ut_rpc_msg {
    uint8_t version;
    uint8_t type;
    uint16_t command;
    uint32_t sequence;
    uint64_t request_id;
    uint32_t status;
    uint32_t body_len;
    const void *body;     /* points into the frame */
} ut_rpc_msg;

/* Framing for nw_handlers.decode: >0 whole frame size, 0 need more, <0 an
 * UT_RPC_ERR_* code. Checks magic, version (any version >= 1 is accepted
 * so a newer peer can talk to an older one), type, length and CRC. */
int ut_rpc_decode(const void *data, size_t len, size_t max_body);
const char *ut_rpc_strerror(int err);

/* Parses a frame that ut_rpc_decode accepted. Returns 0 or -1. */
int ut_rpc_parse(const void *frame, size_t len, ut_rpc_msg *out);

/* Writes header + body into out (capacity UT_RPC_HEADER_SIZE + msg->body_len),
 * computing the CRC. Returns the frame size. msg->version 0 packs as
 * UT_RPC_VERSION; msg->body may already sit at out + UT_RPC_HEADER_SIZE. */
size_t ut_rpc_pack(const ut_rpc_msg *msg, void *out);

#endif
