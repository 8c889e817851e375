/* ut_address: payout address -> scriptPubKey, per network. Networks carry
 * their base58 prefixes and bech32 hrp, so bcoin's regtest ("R...", "rb1")
 * and Bitcoin Core's regtest ("m/n/2...", "bcrt1") are both covered. */
#ifndef UT_ADDRESS_H
#define UT_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ut_network {
    const char *name;       /* "main", "testnet", "signet", "regtest", "bcoin-regtest" */
    uint8_t p2pkh_prefix;
    uint8_t p2sh_prefix;
    const char *hrp;
} ut_network;

/* Looks a network up by name; NULL when unknown. */
const ut_network *ut_network_find(const char *name);

typedef enum {
    UT_ADDR_P2PKH = 1, UT_ADDR_P2SH, UT_ADDR_P2WPKH, UT_ADDR_P2WSH, UT_ADDR_P2TR,
    UT_ADDR_WITNESS_OTHER
} ut_addr_type;

/* Decodes addr for net into its scriptPubKey (at most 42 bytes). Returns
 * the script length, or -1 with err set ("bad checksum", "wrong network
 * prefix 0x00 for regtest", ...). */
int ut_address_to_script(const ut_network *net, const char *addr, uint8_t script[42],
                         ut_addr_type *type, char *err, size_t errlen);

#endif
