/* ut_p2p: the Bitcoin P2P wire format, as far as the pool needs it to push
 * blocks and to see new tips (bitpeer). Pure functions on bytes: no socket,
 * no allocation except where a result is variable-sized (ut_p2p_block).
 *
 * A message is a 24-byte header and a payload:
 *   magic (4, LE) | command (12, ASCII NUL-padded) | length (4, LE) |
 *   checksum (first 4 bytes of sha256d(payload))
 * Payloads written here: version, verack, ping/pong, sendheaders,
 * sendcmpct, getheaders, headers, inv/getdata/notfound, block, cmpctblock
 * and blocktxn (BIP152, short ids from SipHash-2-4 keyed with the first 16
 * bytes of SHA256(header || nonce)). Parsers check every length against
 * the bytes given and never read past them (a fuzz target runs them). */
#ifndef UT_P2P_H
#define UT_P2P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/ut_hash.h"
#include "utils/ut_pack.h"

#define UT_P2P_HDR_SIZE 24
#define UT_P2P_MAX_PAYLOAD (32u * 1024 * 1024)   /* Core's MAX_SIZE */
#define UT_P2P_PROTOCOL 70016                     /* wtxidrelay era; bcoin speaks 70015 */
#define UT_P2P_MAX_HEADERS 2000
#define UT_P2P_MAX_INV 50000

/* inv types */
#define UT_INV_TX            1u
#define UT_INV_BLOCK         2u
#define UT_INV_CMPCT_BLOCK   4u
#define UT_INV_WITNESS_FLAG  (1u << 30)

/* service bits */
#define UT_NODE_NETWORK          1ull
#define UT_NODE_WITNESS          8ull
#define UT_NODE_NETWORK_LIMITED  1024ull

/* The magic of a network by name ("main", "testnet", "signet", "regtest",
 * "bcoin-regtest" = regtest's): 0, or -1 for an unknown name. */
int ut_p2p_magic(const char *network, uint32_t *magic);

typedef struct ut_p2p_hdr {
    uint32_t magic;
    char cmd[13];              /* NUL-terminated */
    uint32_t len;
    uint8_t checksum[4];
} ut_p2p_hdr;

/* Framing for a stream: the size of the whole message at p (> 0), 0 when
 * more bytes are needed, -1 when the stream is bad (wrong magic, a command
 * that is not printable ASCII then NULs, a length above max_payload). */
long ut_p2p_frame(const uint8_t *p, size_t len, uint32_t magic, size_t max_payload,
                  ut_p2p_hdr *h);
/* true when the payload's checksum matches h. */
bool ut_p2p_checksum_ok(const ut_p2p_hdr *h, const uint8_t *payload);
/* Appends one whole message (header and payload) to out. cmd <= 12 chars. */
void ut_p2p_msg(ut_bytes *out, uint32_t magic, const char *cmd, const void *payload,
                size_t len);

/* version */
typedef struct ut_p2p_version {
    int32_t version;
    uint64_t services;
    int64_t timestamp;
    uint64_t recv_services;
    uint8_t recv_ip[16];       /* IPv4 as ::ffff:a.b.c.d */
    uint16_t recv_port;
    uint64_t nonce;
    char user_agent[257];
    int32_t start_height;
    bool relay;
} ut_p2p_version;

/* addr_from is written as zeros (services 0, ::, port 0), as Core does. */
void ut_p2p_version_put(ut_bytes *out, const ut_p2p_version *v);
/* 0, or -1 when short or malformed (relay is optional, false when absent). */
int ut_p2p_version_parse(const uint8_t *p, size_t len, ut_p2p_version *v);
/* An IPv4 address a.b.c.d (network order bytes) as the 16-byte mapped form. */
void ut_p2p_ipv4_mapped(const uint8_t ip4[4], uint8_t out[16]);

/* 80-byte header fields (little-endian in the header). */
typedef struct ut_p2p_header {
    uint32_t version;
    uint8_t prev[32];          /* internal byte order */
    uint8_t merkle[32];
    uint32_t time;
    uint32_t bits;
    uint32_t nonce;
    uint8_t hash[32];          /* sha256d of the 80 bytes, internal order */
} ut_p2p_header;
void ut_p2p_header_parse(const uint8_t raw[80], ut_p2p_header *h);

/* getheaders: version | CompactSize n | n locator hashes | stop hash (zeros: none). */
void ut_p2p_getheaders_put(ut_bytes *out, uint32_t version, const uint8_t (*locator)[32],
                           size_t n, const uint8_t stop[32]);
/* headers: up to cap headers into out (each 80 bytes; the tx count after
 * each must be a CompactSize, 0 in practice). The count, or -1 when
 * malformed or above cap / UT_P2P_MAX_HEADERS. */
long ut_p2p_headers_parse(const uint8_t *p, size_t len, uint8_t (*out)[80], size_t cap);
void ut_p2p_headers_put(ut_bytes *out, const uint8_t (*hdrs)[80], size_t n);

/* inv, getdata, notfound */
typedef struct ut_p2p_inv {
    uint32_t type;
    uint8_t hash[32];
} ut_p2p_inv;
long ut_p2p_inv_parse(const uint8_t *p, size_t len, ut_p2p_inv *out, size_t cap);
void ut_p2p_inv_put(ut_bytes *out, const ut_p2p_inv *items, size_t n);

/* One transaction inside a serialized block. */
typedef struct ut_p2p_tx {
    size_t off, len;           /* the whole serialization in the block */
    bool witness;              /* marker/flag form */
    size_t io_off, io_len;     /* from the input count to the end of the outputs */
    uint8_t txid[32];          /* sha256d without witness, internal order */
    uint8_t wtxid[32];         /* sha256d of the whole serialization */
} ut_p2p_tx;

/* Scans one transaction at p (avail bytes): its length (> 0) and fields,
 * offsets relative to p; 0 when malformed or short. */
size_t ut_p2p_tx_scan(const uint8_t *p, size_t avail, ut_p2p_tx *tx);

/* A serialized block: the header and every transaction located. */
typedef struct ut_p2p_block {
    const uint8_t *raw;        /* borrowed: the caller keeps it alive */
    size_t len;
    ut_p2p_header header;
    ut_p2p_tx *txs;            /* malloc'd */
    size_t tx_count;
    bool witness;              /* some transaction has witness data */
} ut_p2p_block;
/* 0, or -1 when malformed (no transaction, trailing bytes, ...) or out of
 * memory. Free with ut_p2p_block_free. */
int ut_p2p_block_parse(const uint8_t *raw, size_t len, ut_p2p_block *b);
void ut_p2p_block_free(ut_p2p_block *b);
/* Appends transaction i without witness data (the txid serialization). */
void ut_p2p_tx_put_stripped(ut_bytes *out, const ut_p2p_block *b, size_t i);
/* Appends the whole block without witness data (for a MSG_BLOCK getdata). */
void ut_p2p_block_put_stripped(ut_bytes *out, const ut_p2p_block *b);

/* BIP152 */
void ut_p2p_shortid_key(const uint8_t header[80], uint64_t nonce, ut_hash_key *key);
uint64_t ut_p2p_shortid(const ut_hash_key *key, const uint8_t hash[32]);   /* 48 bits */
/* cmpctblock of b: the header, nonce, the short ids of every transaction
 * but the coinbase (wtxids for version 2, txids for 1), the coinbase
 * prefilled at index 0 (with witness for version 2). */
void ut_p2p_cmpct_put(ut_bytes *out, const ut_p2p_block *b, uint64_t nonce, int version);
typedef struct ut_p2p_cmpct {
    const uint8_t *header;     /* 80 bytes inside the payload */
    uint64_t nonce;
    uint64_t shortids;
    uint64_t prefilled;
} ut_p2p_cmpct;
/* Checks the whole structure (every prefilled transaction scans, indexes
 * stay below shortids + prefilled). 0, or -1 when malformed. */
int ut_p2p_cmpct_parse(const uint8_t *p, size_t len, ut_p2p_cmpct *c);
/* getblocktxn: the block hash and up to cap absolute indexes (decoded from
 * the differential form). The count, or -1 when malformed or above cap. */
long ut_p2p_getblocktxn_parse(const uint8_t *p, size_t len, uint8_t hash[32], uint32_t *idx,
                              size_t cap);
/* blocktxn: the block hash and the transactions at idx (witness form when
 * witness, else stripped). Indexes must be < b->tx_count. */
void ut_p2p_blocktxn_put(ut_bytes *out, const ut_p2p_block *b, const uint32_t *idx, size_t n,
                         bool witness);
/* sendcmpct: announce (1 byte) | version (8). */
int ut_p2p_sendcmpct_parse(const uint8_t *p, size_t len, bool *announce, uint64_t *version);
void ut_p2p_sendcmpct_put(ut_bytes *out, bool announce, uint64_t version);

#endif
