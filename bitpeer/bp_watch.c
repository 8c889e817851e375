/* bp_watch: the known-header table and the best tip (see bp_watch.h). */
#include "bitpeer/bp_watch.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_hash.h"
#include "utils/ut_p2p.h"
#include "utils/ut_target.h"

#define BP_ANCHORS 8

typedef struct bp_known {
    uint32_t height;
} bp_known;

struct bp_watch {
    ut_htab known;             /* hash -> bp_known */
    size_t cap;
    bp_tip best;
    bool have_best;
    uint8_t anchors[BP_ANCHORS][32];   /* last anchors, newest first */
    size_t anchor_count;
    uint64_t tips, bad_pow;
    bp_tip_cb cb;
    void *arg;
};

bp_watch *bp_watch_create(size_t cap, bp_tip_cb cb, void *arg)
{
    bp_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    ut_htab_init(&w->known, sizeof(bp_known), 0);
    w->cap = cap < 16 ? 16 : cap;
    w->cb = cb;
    w->arg = arg;
    return w;
}

void bp_watch_free(bp_watch *w)
{
    if (!w)
        return;
    ut_htab_free(&w->known);
    free(w);
}

static void bp_watch_add(bp_watch *w, const uint8_t hash[32], uint32_t height)
{
    if (ut_htab_count(&w->known) >= w->cap) {
        ut_htab_clear(&w->known);
        if (w->have_best)
            bp_watch_add(w, w->best.hash, w->best.height);
    }
    void *val;
    if (ut_htab_put(&w->known, hash, 32, &val) >= 0)
        ((bp_known *)val)->height = height;
}

void bp_watch_anchor(bp_watch *w, uint32_t height, const uint8_t hash[32])
{
    bp_watch_add(w, hash, height);
    if (w->anchor_count == 0 || memcmp(w->anchors[0], hash, 32) != 0) {
        memmove(w->anchors[1], w->anchors[0], (BP_ANCHORS - 1) * 32);
        memcpy(w->anchors[0], hash, 32);
        if (w->anchor_count < BP_ANCHORS)
            w->anchor_count++;
    }
    if (!w->have_best || height > w->best.height) {
        memset(&w->best, 0, sizeof(w->best));
        w->best.height = height;
        memcpy(w->best.hash, hash, 32);
        w->have_best = true;
    }
}

int bp_watch_header(bp_watch *w, const uint8_t raw[80], void *from, const char *via)
{
    ut_p2p_header h;
    uint8_t target[32];
    ut_p2p_header_parse(raw, &h);
    if (bp_watch_known(w, h.hash))
        return BP_HDR_KNOWN;
    if (ut_target_from_nbits(h.bits, target) != 0 || !ut_hash_meets(h.hash, target)) {
        w->bad_pow++;
        return BP_HDR_BAD_POW;
    }
    const bp_known *parent = ut_htab_get(&w->known, h.prev, 32);
    if (!parent)
        return BP_HDR_ORPHAN;
    uint32_t height = parent->height + 1;
    bp_watch_add(w, h.hash, height);
    if (w->have_best && height <= w->best.height)
        return BP_HDR_KNOWN;
    w->best.height = height;
    memcpy(w->best.hash, h.hash, 32);
    memcpy(w->best.header, raw, 80);
    w->best.has_header = true;
    w->have_best = true;
    w->tips++;
    if (w->cb)
        w->cb(&w->best, from, via, w->arg);
    return BP_HDR_NEW_TIP;
}

bool bp_watch_known(const bp_watch *w, const uint8_t hash[32])
{
    return ut_htab_get(&w->known, hash, 32) != NULL;
}

const bp_tip *bp_watch_best(const bp_watch *w)
{
    return w->have_best ? &w->best : NULL;
}

size_t bp_watch_locator(const bp_watch *w, uint8_t (*out)[32], size_t cap)
{
    size_t n = 0;
    if (w->have_best && n < cap)
        memcpy(out[n++], w->best.hash, 32);
    for (size_t i = 0; i < w->anchor_count && n < cap; i++)
        if (memcmp(w->anchors[i], w->best.hash, 32) != 0)
            memcpy(out[n++], w->anchors[i], 32);
    return n;
}

size_t bp_watch_count(const bp_watch *w) { return ut_htab_count(&w->known); }
uint64_t bp_watch_tips(const bp_watch *w) { return w->tips; }
uint64_t bp_watch_bad_pow(const bp_watch *w) { return w->bad_pow; }
