/* bp_push: found blocks out to every peer at once. A block from jobmaster
 * is parsed once, kept (the last keep_blocks) and announced in the way each
 * peer asked for: a cmpctblock (BIP152 high-bandwidth mode, sendcmpct(1)),
 * a headers message (sendheaders), or an inv. The peer then asks with
 * getdata (block, witness block or cmpctblock), getblocktxn or getheaders,
 * and gets the block from here. When a peer later announces a pushed block
 * back, the delay is counted for that peer (an echo). */
#ifndef BP_PUSH_H
#define BP_PUSH_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "bitpeer/bp_peer.h"

typedef struct bp_push bp_push;

typedef struct bp_push_stats {
    uint64_t blocks;           /* found blocks received from jobmaster */
    uint64_t bad_blocks;       /* unparsable */
    uint64_t getdata_served, getdata_unknown, blocktxn_served;
    double last_wire_ms;       /* received -> written to every ready peer, last block */
    double max_wire_ms;
    unsigned last_peers;       /* ready peers it went to */
    uint32_t last_height;
    char last_hash[65];
} bp_push_stats;

bp_push *bp_push_create(struct ev_loop *loop, size_t keep, size_t peer_count, uint32_t magic);
void bp_push_free(bp_push *p);

/* Parses raw (copied) and announces it to every ready peer of peers[n].
 * t0 is when it arrived (ev_time). 0, or -1 (err set) when raw is no block. */
int bp_push_block(bp_push *p, const uint8_t *raw, size_t len, uint32_t height,
                  bp_peer **peers, size_t n, double t0, char *err, size_t errlen);

/* Requests from a peer about pushed blocks. */
void bp_push_on_getdata(bp_push *p, bp_peer *peer, const uint8_t *payload, size_t len);
void bp_push_on_getblocktxn(bp_push *p, bp_peer *peer, const uint8_t *payload, size_t len);
void bp_push_on_getheaders(bp_push *p, bp_peer *peer, const uint8_t *payload, size_t len);
/* A peer announced hash: counts an echo when it is one of ours. */
void bp_push_seen(bp_push *p, bp_peer *peer, const uint8_t hash[32]);
/* hash is one of the kept blocks */
bool bp_push_has(const bp_push *p, const uint8_t hash[32]);

const bp_push_stats *bp_push_get_stats(const bp_push *p);

#endif
