/* gw_sink: what the gateway does with what its Stratum server reports
 * (stratum/st_sink.h): shares, new workers and disconnects go to
 * accounting (ut_meta), block candidates to the jobmaster link (gw_jm),
 * a connection over the strike limits gets its IP banned (gw_ban), banned
 * addresses are refused at accept, replies wait for the accounting journal;
 * and the extranonce1 allocator is gw_en1. */
#ifndef GW_SINK_H
#define GW_SINK_H

#include "gateway/gw_server.h"
#include "stratum/st_layout.h"
#include "stratum/st_sink.h"

/* The sink and the allocator of srv's Stratum server (arg: srv). */
void gw_sink_init(gw_server *srv, st_sink *sink, st_en1_alloc *en1);

#endif
