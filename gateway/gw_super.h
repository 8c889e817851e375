/* gw_super: the gateway's supervisor process. Forks the configured number
 * of worker processes (each runs gw_server_run with its index), restarts a
 * worker that dies (no more often than once a second per worker), forwards
 * SIGTERM/SIGINT to every worker and waits for them (SIGKILL after
 * shutdown_grace + 10 s), and forwards SIGHUP after reopening its own log.
 * Workers get SIGTERM when the supervisor dies (PR_SET_PDEATHSIG). A
 * worker that exits with an error before it was ever up for 2 s (port in
 * use, bad spool dir) stops the whole gateway with exit status 1. */
#ifndef GW_SUPER_H
#define GW_SUPER_H

#include "gateway/gw_config.h"
#include "gateway/gw_shm.h"

/* Runs until told to stop; returns the process exit status. */
int gw_super_run(const gw_config *cfg, gw_shm *shm);

#endif
