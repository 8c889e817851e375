/* mw_ops: turns one CMD_MW_BATCH body into the list of Redis writes it
 * stands for (the key names, fields and event JSON of the public Redis
 * contract, docs/protocol-bodies.md), merging equal increments. Pure: no
 * I/O, so it is tested on its own. */
#ifndef MW_OPS_H
#define MW_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "network/nw_buf.h"
#include "utils/ut_hash.h"
#include "utils/ut_meta.h"

typedef enum {
    MW_OP_HINCRBY = 'I', MW_OP_ADDFLOAT = 'F', MW_OP_SADD = 'S', MW_OP_RPUSH = 'R'
} mw_op_kind;

typedef struct mw_op {
    char kind;            /* mw_op_kind */
    char *key;
    char *arg;            /* hash field, set member or list value */
    int64_t ival;         /* HINCRBY */
    double fval;          /* float add (see mw_script.c) */
    char val[40];         /* the increment as sent, filled by mw_ops_finish */
} mw_op;

typedef struct mw_ops {
    ut_meta_ident id;
    char idstr[128];      /* "source/epoch/seq" for logs */
    mw_op *v;             /* the ops, in vbuf */
    size_t n;
    nw_buf vbuf;
    ut_htab index;        /* merge index: kind, key, '\0', arg -> index in v */
    size_t bytes;         /* memory held, for the writer's limits */
    size_t records;       /* share + system + event records in the body */
} mw_ops;

/* Parses body, checks it whole (ut_meta_body_check) and builds the writes.
 * coin: when not NULL, the batch's coin must equal it. Returns the ops, or
 * NULL with a reason in err (a malformed batch, a number out of range, an
 * integer sum past int64 or a float sum that is not finite: status
 * UT_META_ST_BAD, nothing of it is written). id, when not NULL, gets the
 * batch identity whenever it is readable, even when the batch is refused
 * (id->source is "" otherwise). Records with an unusable user or worker
 * name (':', control characters) are skipped with an error log, the rest
 * is applied. Float increments are written with ut_fmt_double. */
mw_ops *mw_ops_from_body(const void *body, size_t len, const char *coin, ut_meta_ident *id,
                         char *err, size_t errlen);
void mw_ops_free(mw_ops *ops);

#endif
