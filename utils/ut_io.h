/* ut_io: small file-descriptor helpers shared by the spool and the journal. */
#ifndef UT_IO_H
#define UT_IO_H

#include <stddef.h>

/* Writes all len bytes, retrying on EINTR and short writes. 0, or -1 with
 * errno set (a zero-byte write counts as an error). */
int ut_write_all(int fd, const void *data, size_t len);

#endif
