/* mw_script: the Lua scripts metawriter runs inside Redis. The apply
 * script makes one batch exactly-once and atomic; the sweep script deletes
 * minute fields past the retention. */
#ifndef MW_SCRIPT_H
#define MW_SCRIPT_H

/* ARGV: mark key, gaps key, seq, ttl seconds, then 4 per write:
 * kind (I/F/S/R), key, field-or-member-or-value, increment-or-"".
 * I: HINCRBY; F: float add in double precision (HGET + HSET of the
 * shortest round-trip text); S: SADD; R: RPUSH.
 * Returns {1, errors, first_error} when applied now, {0, 0, ""} when the
 * batch had been applied before. */
extern const char mw_script_apply[];

/* ARGV: from (0 = look at every field), to (exclusive cutoff), keys...
 * Deletes the fields t < to (every field when from is 0, else only
 * from, from+60, ... < to). Returns the number of fields deleted. */
extern const char mw_script_sweep[];

/* The SHA1 hex (41 bytes with the NUL) EVALSHA knows a script by. */
void mw_script_sha(const char *script, char out[41]);

#endif
