/* mw_script: the Lua run by metawriter in Redis (see mw_script.h). The
 * first write of the apply script is the batch mark: when Redis refuses
 * writes (out of memory) the script fails before it changed anything, and
 * once the mark is written the counts follow in the same atomic run. The
 * counts use pcall so that one bad key (a wrong type someone else wrote)
 * cannot leave a marked batch half applied and then retried: the error is
 * returned and logged instead.
 *
 * Float sums (p, g, pow) are added here in double precision and stored as
 * the shortest decimal that reads back as the sum: exactly what a reader
 * adding the same doubles gets. HINCRBYFLOAT is not used: Redis adds in
 * long double and prints the result with 17 digits after the point
 * (%.17Lf), which drops significant digits of small values such as a
 * share's goal (diff / network difficulty) and of sub-1 difficulties. */
#include "metawriter/mw_script.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

const char mw_script_apply[] =
    "local function fmt(v)\n"
    "  for _, p in ipairs({'%.15g', '%.16g'}) do\n"
    "    local s = string.format(p, v)\n"
    "    if tonumber(s) == v then return s end\n"
    "  end\n"
    "  return string.format('%.17g', v)\n"
    "end\n"
    "local function addf(key, field, inc)\n"
    "  local cur = redis.pcall('HGET', key, field)\n"
    "  if type(cur) == 'table' and cur.err then return cur end\n"
    "  local base, d = 0, tonumber(inc)\n"
    "  if cur then base = tonumber(cur) end\n"
    "  if base == nil or d == nil then return {err = 'hash value is not a float'} end\n"
    "  return redis.pcall('HSET', key, field, fmt(base + d))\n"
    "end\n"
    "local mark, gaps, seq, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local hw = tonumber(redis.call('GET', mark) or '0')\n"
    "if seq <= hw or redis.call('SISMEMBER', gaps, ARGV[3]) == 1 then\n"
    "  return {0, 0, ''}\n"
    "end\n"
    "if seq == hw + 1 then\n"
    "  local top = seq\n"
    "  while redis.call('SISMEMBER', gaps, tostring(top + 1)) == 1 do top = top + 1 end\n"
    "  redis.call('SET', mark, tostring(top), 'EX', ttl)\n"
    "  for s = seq + 1, top do redis.call('SREM', gaps, tostring(s)) end\n"
    "  redis.call('EXPIRE', gaps, ttl)\n"
    "else\n"
    "  redis.call('SADD', gaps, ARGV[3])\n"
    "  redis.call('EXPIRE', gaps, ttl)\n"
    "  if hw > 0 then redis.call('EXPIRE', mark, ttl) end\n"
    "end\n"
    "local errs, first = 0, ''\n"
    "for i = 5, #ARGV, 4 do\n"
    "  local k, r = ARGV[i], nil\n"
    "  if k == 'I' then r = redis.pcall('HINCRBY', ARGV[i+1], ARGV[i+2], ARGV[i+3])\n"
    "  elseif k == 'F' then r = addf(ARGV[i+1], ARGV[i+2], ARGV[i+3])\n"
    "  elseif k == 'S' then r = redis.pcall('SADD', ARGV[i+1], ARGV[i+2])\n"
    "  elseif k == 'R' then r = redis.pcall('RPUSH', ARGV[i+1], ARGV[i+2])\n"
    "  else r = {err = 'unknown write kind ' .. k} end\n"
    "  if type(r) == 'table' and r.err then\n"
    "    errs = errs + 1\n"
    "    if first == '' then first = ARGV[i+1] .. ': ' .. r.err end\n"
    "  end\n"
    "end\n"
    "return {1, errs, first}\n";

const char mw_script_sweep[] =
    "local from, to, n = tonumber(ARGV[1]), tonumber(ARGV[2]), 0\n"
    "local function del(key, fs)\n"
    "  for j = 1, #fs, 1000 do\n"
    "    n = n + redis.call('HDEL', key, unpack(fs, j, math.min(j + 999, #fs)))\n"
    "  end\n"
    "end\n"
    "for i = 3, #ARGV do\n"
    "  local key, fs = ARGV[i], {}\n"
    "  if from == 0 then\n"
    "    for _, f in ipairs(redis.call('HKEYS', key)) do\n"
    "      local t = tonumber(f)\n"
    "      if t and t < to then fs[#fs + 1] = f end\n"
    "    end\n"
    "  else\n"
    "    for t = from, to - 60, 60 do fs[#fs + 1] = string.format('%d', t) end\n"
    "  end\n"
    "  del(key, fs)\n"
    "end\n"
    "return n\n";

void mw_script_sha(const char *script, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(script, strlen(script), md, &len, EVP_sha1(), NULL);
    for (unsigned int i = 0; i < len && i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[40] = '\0';
}
