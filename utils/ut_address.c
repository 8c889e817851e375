/* ut_address: payout address -> scriptPubKey for a given network.
 *
 * Base58check addresses are a version byte and a 20-byte hash (P2PKH or
 * P2SH); segwit addresses are bech32/bech32m with the network's hrp. Each
 * network carries its own prefixes, including bcoin's regtest, which
 * differs from Bitcoin Core's (see depends/ and bcoin's networks.js). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "utils/ut_address.h"
#include "utils/ut_base58.h"
#include "utils/ut_bech32.h"

static const ut_network ut_networks[] = {
    { "main",          0x00, 0x05, "bc" },
    { "testnet",       0x6f, 0xc4, "tb" },
    { "signet",        0x6f, 0xc4, "tb" },
    { "regtest",       0x6f, 0xc4, "bcrt" },
    { "bcoin-regtest", 0x3c, 0x26, "rb" },
};

const ut_network *ut_network_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(ut_networks) / sizeof(ut_networks[0]); i++)
        if (strcmp(ut_networks[i].name, name) == 0)
            return &ut_networks[i];
    return NULL;
}

/* Writes the reason into err and returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* True when addr starts with hrp followed by '1', in any case. */
static int has_hrp(const char *addr, const char *hrp)
{
    size_t n = strlen(hrp);
    return strncasecmp(addr, hrp, n) == 0 && addr[n] == '1';
}

static int segwit_to_script(const ut_network *net, const char *addr, uint8_t script[42],
                            ut_addr_type *type, char *err, size_t errlen)
{
    int version;
    uint8_t prog[40];
    size_t plen;
    const char *why = NULL;
    if (ut_segwit_decode_why(net->hrp, addr, &version, prog, &plen, &why) != 0)
        return fail(err, errlen, "bad segwit address for %s: %s", net->name, why);

    ut_addr_type t = UT_ADDR_WITNESS_OTHER;
    if (version == 0 && plen == 20)
        t = UT_ADDR_P2WPKH;
    else if (version == 0 && plen == 32)
        t = UT_ADDR_P2WSH;
    else if (version == 1 && plen == 32)
        t = UT_ADDR_P2TR;
    script[0] = version == 0 ? 0x00 : (uint8_t)(0x50 + version);   /* OP_0, OP_1..OP_16 */
    script[1] = (uint8_t)plen;
    memcpy(script + 2, prog, plen);
    if (type)
        *type = t;
    return (int)(2 + plen);
}

/* payload is a checked base58 payload of n bytes. */
static int base58_to_script(const ut_network *net, const uint8_t *payload, int n,
                            uint8_t script[42], ut_addr_type *type, char *err, size_t errlen)
{
    if (n != 21)
        return fail(err, errlen, "bad base58 address length (%d bytes, expected 21)", n);
    if (payload[0] == net->p2pkh_prefix) {
        script[0] = 0x76;              /* OP_DUP OP_HASH160 <20> ... */
        script[1] = 0xa9;
        script[2] = 0x14;
        memcpy(script + 3, payload + 1, 20);
        script[23] = 0x88;             /* OP_EQUALVERIFY OP_CHECKSIG */
        script[24] = 0xac;
        if (type)
            *type = UT_ADDR_P2PKH;
        return 25;
    }
    if (payload[0] == net->p2sh_prefix) {
        script[0] = 0xa9;              /* OP_HASH160 <20> OP_EQUAL */
        script[1] = 0x14;
        memcpy(script + 2, payload + 1, 20);
        script[22] = 0x87;
        if (type)
            *type = UT_ADDR_P2SH;
        return 23;
    }
    return fail(err, errlen, "wrong network prefix 0x%02x for %s", payload[0], net->name);
}

int ut_address_to_script(const ut_network *net, const char *addr, uint8_t script[42],
                         ut_addr_type *type, char *err, size_t errlen)
{
    if (net == NULL || addr == NULL)
        return fail(err, errlen, "no %s", net ? "address" : "network");
    if (err && errlen)
        err[0] = '\0';

    /* Base58check first: its checksum settles it, and a base58 address may
     * begin with the letters of an hrp (bcoin regtest "Rb1..."). */
    uint8_t payload[64];
    int n = ut_base58check_decode(addr, payload, sizeof(payload));
    if (n >= 0)
        return base58_to_script(net, payload, n, script, type, err, errlen);
    if (has_hrp(addr, net->hrp))
        return segwit_to_script(net, addr, script, type, err, errlen);

    /* A valid bech32 string with another hrp: name the mismatch. */
    char hrp[84];
    uint8_t data[90];
    size_t dlen;
    if (ut_bech32_decode(addr, hrp, data, &dlen) != UT_BECH32_NONE)
        return fail(err, errlen, "wrong network hrp '%s' for %s (expects '%s')", hrp,
                    net->name, net->hrp);
    uint8_t raw[128];
    if (ut_base58_decode(addr, raw, sizeof(raw)) == 25)
        return fail(err, errlen, "bad base58 checksum in address for %s", net->name);
    return fail(err, errlen, "not a valid address for %s (bad character, checksum or "
                "length)", net->name);
}
