/* st_sess: what a started session is sent and at which difficulty: the
 * first set_difficulty and job once a connection is subscribed and
 * authorized, difficulty changes (clamped, and remembered per job so a
 * share counts at the difficulty of the job it was made for), jobs for
 * every started connection, and client.reconnect for all. */
#ifndef ST_SESS_H
#define ST_SESS_H

#include <stdint.h>
#include "stratum/st_server.h"

/* Sends the first difficulty and the current job (clean) once c is
 * subscribed and has an authorized worker; nothing otherwise. */
void st_sess_start(st_conn *c);

/* Sets c's difficulty (clamped to [floor, vardiff.max]); sends
 * set_difficulty when the connection is started. Remembers the previous
 * difficulty for jobs already sent. */
void st_sess_set_diff(st_conn *c, double diff);
/* The difficulty that applies to shares on the job with this seq. */
double st_sess_job_diff(const st_conn *c, uint64_t job_seq);
/* The lowest difficulty c may get: max(vardiff.min, configure floor). */
double st_sess_floor(const st_conn *c);

/* Sends job to every started connection (after flushing their output). */
void st_sess_notify_all(st_server *srv, const st_job *job);
/* client.reconnect to every connection. */
void st_sess_reconnect_all(st_server *srv);

#endif
