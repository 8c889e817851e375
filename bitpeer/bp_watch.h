/* bp_watch: which block is the tip, as the peers announce it. Keeps a
 * table of known block hashes with their heights (seeded by jobmaster's
 * CMD_BP_BEST: the block its jobs build on, and grown by every header a
 * peer sends whose parent is known). A header whose hash meets its own
 * nBits target and whose height is above the best so far is a new tip:
 * on_tip runs once for it, whichever peer told first.
 *
 * Limits: a header whose parent is unknown cannot be given a height; the
 * caller asks that peer for the headers in between (getheaders with
 * bp_watch_locator). Two blocks at the same height: the first one stays
 * best (no reorg to an equal-height sibling; a higher one wins). The
 * table is cleared when it reaches its cap (the best entry is kept). */
#ifndef BP_WATCH_H
#define BP_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bp_tip {
    uint32_t height;
    uint8_t hash[32];          /* internal byte order */
    uint8_t header[80];
    bool has_header;           /* false for a jobmaster anchor */
} bp_tip;

typedef struct bp_watch bp_watch;
typedef void (*bp_tip_cb)(const bp_tip *tip, void *from, const char *via, void *arg);

bp_watch *bp_watch_create(size_t cap, bp_tip_cb cb, void *arg);
void bp_watch_free(bp_watch *w);

/* jobmaster's word: hash is at height. It becomes best when higher. */
void bp_watch_anchor(bp_watch *w, uint32_t height, const uint8_t hash[32]);

enum { BP_HDR_NEW_TIP = 1, BP_HDR_KNOWN = 0, BP_HDR_ORPHAN = -1, BP_HDR_BAD_POW = -2 };
/* One header from a peer (from is handed to on_tip). BP_HDR_NEW_TIP (on_tip
 * ran), BP_HDR_KNOWN (already known, or added below the best),
 * BP_HDR_ORPHAN (parent unknown), BP_HDR_BAD_POW (hash above its target). */
int bp_watch_header(bp_watch *w, const uint8_t raw[80], void *from, const char *via);
bool bp_watch_known(const bp_watch *w, const uint8_t hash[32]);
/* The best tip, or NULL before any anchor. */
const bp_tip *bp_watch_best(const bp_watch *w);
/* Hashes for a getheaders locator (the best first, then older known
 * anchors); at most cap. */
size_t bp_watch_locator(const bp_watch *w, uint8_t (*out)[32], size_t cap);
size_t bp_watch_count(const bp_watch *w);
uint64_t bp_watch_tips(const bp_watch *w);        /* on_tip calls so far */
uint64_t bp_watch_bad_pow(const bp_watch *w);

#endif
