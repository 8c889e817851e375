/* ut_spool: a directory of durable records, one file per record, used by
 * the accounting path (ut_meta senders, metarelay) to keep batches that
 * the next hop has not acknowledged yet. A record is written to a
 * temporary file, fsync'd, renamed into place and the directory fsync'd,
 * so after a crash a record is either wholly there or not there at all.
 * Each file carries a small header with the body length and a CRC32C;
 * a file that fails the check is renamed to "<name>.bad" and skipped.
 *
 * Only the files whose names start with the spool's prefix belong to it,
 * so several senders may share one directory. The spool counts the bytes
 * of its files and refuses records past max_bytes. */
#ifndef UT_SPOOL_H
#define UT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UT_SPOOL_NAME_MAX 200

typedef struct ut_spool ut_spool;

/* Creates dir when missing. Counts the existing records with prefix.
 * Returns NULL (with a log line) when the directory cannot be used. */
ut_spool *ut_spool_open(const char *dir, const char *prefix, uint64_t max_bytes);
void ut_spool_close(ut_spool *s);

/* Durably stores data under name (letters, digits, "._-:" only; it must
 * start with the prefix). Returns 0, -1 on an I/O error, -2 when the
 * record would pass max_bytes. Replaces an existing record of that name. */
int ut_spool_put(ut_spool *s, const char *name, const void *data, size_t len);

/* Reads a record into a malloc'd buffer (NUL-terminated, not counted in
 * *len). Returns 0, -1 when missing or unreadable, -2 when corrupt (the
 * file is then renamed to name.bad). */
int ut_spool_get(ut_spool *s, const char *name, char **data, size_t *len);

/* True when a record of that name is present (a .bad one does not count). */
bool ut_spool_has(const ut_spool *s, const char *name);

/* Removes a record. Returns 0, or -1 when it was not there. */
int ut_spool_del(ut_spool *s, const char *name);

/* Renames a record to name.bad so it is kept for a human but never
 * replayed; its bytes stop counting. */
void ut_spool_quarantine(ut_spool *s, const char *name);

/* The names of the records present, sorted; *n is set to the count.
 * The caller frees each name and the array. Returns NULL when empty. */
char **ut_spool_list(ut_spool *s, size_t *n);

uint64_t ut_spool_bytes(const ut_spool *s);
/* The bytes a record with a body of len bytes takes (header included):
 * what ut_spool_bytes and max_bytes count for it. */
uint64_t ut_spool_record_bytes(size_t len);
const char *ut_spool_dir(const ut_spool *s);

/* For tests only: the next n ut_spool_put calls of this process (any
 * spool) fail as an I/O error (EIO) would, without touching the disk.
 * n = 0 turns it off. */
void ut_spool_test_fail_writes(int n);

#endif
