/* st_methods: the method handlers behind st_stratum_dispatch (internal to
 * the library). Each answers the request with id/idlen (the JSON text to
 * echo). */
#ifndef ST_METHODS_H
#define ST_METHODS_H

#include <stddef.h>
#include "stratum/st_req.h"
#include "stratum/st_server.h"

void st_m_subscribe(st_conn *c, const st_req *req, const char *id, size_t idlen);
void st_m_authorize(st_conn *c, const st_req *req, const char *id, size_t idlen);
void st_m_configure(st_conn *c, const st_req *req, const char *id, size_t idlen);
void st_m_suggest(st_conn *c, const st_req *req, const char *id, size_t idlen);
void st_m_submit(st_conn *c, const st_req *req, const char *id, size_t idlen);

/* Copies at most n bytes of s into buf (size cap), printable ASCII only,
 * for log lines. */
const char *st_safe(const char *s, size_t n, char *buf, size_t cap);

#endif
