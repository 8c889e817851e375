/* ut_script: the coinbase scriptSig height (BIP34) and small script helpers. */
#ifndef UT_SCRIPT_H
#define UT_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

/* BIP34 height exactly as Bitcoin Core checks it (the scriptSig must start
 * with CScript() << height): 0 is OP_0, 1..16 are OP_1..OP_16, anything
 * larger a minimal CScriptNum push. (DESIGN.md's "not OP_n" is wrong on
 * this point; Core's push_int64 emits OP_n.) Writes at most 9 bytes into
 * out and returns the length. */
size_t ut_bip34_height(uint32_t height, uint8_t out[9]);
/* Reads the height from the start of a coinbase scriptSig; 0 or -1. */
int ut_bip34_parse(const uint8_t *script, size_t len, uint32_t *height);

#endif
