// The Lua scripts that make each store operation atomic in Redis: a script runs whole, with no other command in between.
// Every script's keys share one hash slot (a user's `{id}`, `{rules}`, `{media}`), so each runs on a Redis Cluster too.
import type { RedisClient } from './connection.ts';

export type ScriptCall = (client: RedisClient, keys: string[], args: Array<string | number | Buffer>) => Promise<unknown>;

const all = new Map<string, string>();

/** Defines every script on a client, before its first command. */
export function defineScripts(client: RedisClient): void {
  for (const [name, lua] of all) client.defineCommand(name, { lua });
}

/** A script ioredis runs by its hash (EVALSHA, sending the text only when Redis does not know it yet). */
function script(name: string, lua: string): ScriptCall {
  all.set(name, lua);
  return (client, keys, args) => (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(keys.length, ...keys, ...args);
}

/** How many values each turn puts before its message ids and messages in commitTurns' ARGV. */
export const COMMIT_HEADER = 11;

/**
 * Turns of different users, each all or nothing: the commits made together (one event-loop turn's) in one
 * round trip. KEYS, per turn: user hash, message list, message positions, answers, user lock, watchers.
 * ARGV: the committing store's id, then per turn: fencing token ('' when the caller holds no lock), createdAt,
 * session, clientId (or ''), exchange, follower (or ''), window (or ''), revised message id (or ''), revised
 * message, '1' to release the lock with the commit (or ''), n, then n message ids and n messages. Each turn's
 * checks come before its first write, since a script that stops half-way keeps what it wrote; a turn that fails
 * them is skipped, the others are stored. The fencing check refuses a turn whose lock expired and went to
 * another process. Returns per turn an error ('' when stored) and 1 when another store watches the user, else 0.
 */
export const commitTurns = script(
  'oaCommitTurns',
  `
local kinds = { 'hash', 'list', 'hash', 'hash' }
-- One turn from KEYS[k + 1] and ARGV[at]: checks, then writes; raises on a failed check.
local function commit(k, at, n)
  for i, kind in ipairs(kinds) do
    local found = redis.call('TYPE', KEYS[k + i]).ok
    if found ~= kind and found ~= 'none' then error('WRONGTYPE ' .. KEYS[k + i] .. ' holds a ' .. found, 0) end
  end
  local token = ARGV[at]
  if token ~= '' and redis.call('GET', KEYS[k + 5]) ~= token then error('FENCED the user lock was lost', 0) end
  -- Read before the first write too: a watchers key of the wrong type fails the turn before it changes anything.
  local watchers = redis.call('HLEN', KEYS[k + 6])
  if watchers > 0 and redis.call('HEXISTS', KEYS[k + 6], ARGV[1]) == 1 then watchers = watchers - 1 end
  local revisedAt = false
  if ARGV[at + 7] ~= '' then
    revisedAt = redis.call('HGET', KEYS[k + 3], ARGV[at + 7])
    if not revisedAt then error('UNKNOWN the revised message is not stored', 0) end
  end
  redis.call('HSETNX', KEYS[k + 1], 'createdAt', ARGV[at + 1])
  local fields = { 'session', ARGV[at + 2] }
  if ARGV[at + 5] ~= '' then table.insert(fields, 'follower'); table.insert(fields, ARGV[at + 5]) end
  if ARGV[at + 6] ~= '' then table.insert(fields, 'window'); table.insert(fields, ARGV[at + 6]) end
  redis.call('HSET', KEYS[k + 1], unpack(fields))
  if revisedAt then redis.call('LSET', KEYS[k + 2], tonumber(revisedAt), ARGV[at + 8]) end
  if n > 0 then
    -- One RPUSH and one HSET for all the turn's messages: each redis.call has a cost of its own.
    local ids = at + ${COMMIT_HEADER}
    local length = redis.call('RPUSH', KEYS[k + 2], unpack(ARGV, ids + n, ids + 2 * n - 1))
    local positions = {}
    for i = 1, n do
      positions[2 * i - 1] = ARGV[ids + i - 1]
      positions[2 * i] = length - n + i - 1
    end
    redis.call('HSET', KEYS[k + 3], unpack(positions))
  end
  if ARGV[at + 3] ~= '' then redis.call('HSET', KEYS[k + 4], ARGV[at + 3], ARGV[at + 4]) end
  if ARGV[at + 9] ~= '' and token ~= '' then redis.call('DEL', KEYS[k + 5]) end
  return watchers > 0 and 1 or 0
end
local out = {}
local at = 2
for turn = 0, #KEYS / 6 - 1 do
  local n = tonumber(ARGV[at + 10])
  -- A turn that fails is reported and skipped; the turns after it are still stored.
  local ok, result = pcall(commit, turn * 6, at, n)
  out[2 * turn + 1] = ok and '' or (type(result) == 'table' and result.err or tostring(result))
  out[2 * turn + 2] = ok and result or 0
  at = at + ${COMMIT_HEADER} + 2 * n
end
return out
`,
);

/**
 * What a turn starts from, in one round trip. KEYS: user hash, answers. ARGV: clientId (or '').
 * Returns {createdAt, session, follower, window, exchange}, each false when there is none.
 */
export const openTurn = script(
  'oaOpenTurn',
  `
local user = redis.call('HMGET', KEYS[1], 'createdAt', 'session', 'follower', 'window')
local exchange = false
if ARGV[1] ~= '' then exchange = redis.call('HGET', KEYS[2], ARGV[1]) end
return { user[1], user[2], user[3], user[4], exchange }
`,
);

/** KEYS: message list, positions. ARGV: limit, before (or ''). The page before `before`, or nil when it is unknown. */
export const historyPage = script(
  'oaHistoryPage',
  `
local limit = tonumber(ARGV[1])
if ARGV[2] == '' then return redis.call('LRANGE', KEYS[1], -limit, -1) end
local at = redis.call('HGET', KEYS[2], ARGV[2])
if not at then return false end
at = tonumber(at)
if at == 0 then return {} end
return redis.call('LRANGE', KEYS[1], math.max(0, at - limit), at - 1)
`,
);

/**
 * Takes the locks of several users and reads what each turn starts from, in one round trip. KEYS: on one Redis
 * the rules version first (on a cluster it lives in another slot and is read beside), then a lock and a user
 * hash per user. ARGV: ttl ms, then a token per user. Returns the rules version (false on a cluster), then per
 * user 0 while someone holds the lock, else 1, then createdAt, session, follower, window.
 */
export const takeLocks = script(
  'oaTakeLocks',
  `
local first = #KEYS % 2
local out = { false }
if first == 1 then out[1] = redis.call('GET', KEYS[1]) end
for i = 0, (#KEYS - first) / 2 - 1 do
  local lock, user = KEYS[first + 2 * i + 1], KEYS[first + 2 * i + 2]
  if redis.call('SET', lock, ARGV[i + 2], 'NX', 'PX', ARGV[1]) then
    local fields = redis.call('HMGET', user, 'createdAt', 'session', 'follower', 'window')
    table.insert(out, 1)
    for j = 1, 4 do table.insert(out, fields[j]) end
  else
    table.insert(out, 0)
    for j = 1, 4 do table.insert(out, false) end
  end
end
return out
`,
);

/**
 * KEYS: watchers (a hash of store id → the number of the user's sockets open on it). ARGV: store id, +1 or -1.
 * Counts a socket opened or closed; a store's field goes with its last socket.
 */
export const countWatcher = script(
  'oaCountWatcher',
  `
local count = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if count <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return count
`,
);

/** KEYS: lock. ARGV: token, ttl ms. Extends the lock only while it is still ours. */
export const extendLock = script(
  'oaExtendLock',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
);

/** KEYS: lock. ARGV: token. Releases the lock only while it is still ours. */
export const releaseLock = script(
  'oaReleaseLock',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/** KEYS: rules, rules version. ARGV: rules JSON, channel. Stores, counts the change and tells every process. */
export const saveRules = script(
  'oaSaveRules',
  `
redis.call('SET', KEYS[1], ARGV[1])
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], version)
return version
`,
);

/** KEYS: rules, rules version. ARGV: seed rules JSON. Seeds the rules of a new Redis; returns {rules, version}. */
export const seedRules = script(
  'oaSeedRules',
  `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then redis.call('INCR', KEYS[2]) end
return { redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]) or '0' }
`,
);

/**
 * Keeps a media file under the store's quota. KEYS: the file's hash, the live files (a sorted set of
 * "id:size" by when each lapses), the bytes they take. ARGV: now, lifetime left (ms), size, quota, record,
 * bytes, "id:size". Redis deletes the hash itself when its time is over; the script first takes the files
 * that lapsed off the count, then refuses with QUOTA (nothing written) or stores the file.
 */
export const putMedia = script(
  'oaPutMedia',
  `
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, member in ipairs(lapsed) do
  redis.call('DECRBY', KEYS[3], tonumber(string.match(member, ':(%d+)$')))
end
if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1]) end
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
if used + tonumber(ARGV[3]) > tonumber(ARGV[4]) then return redis.error_reply('QUOTA ' .. used) end
redis.call('HSET', KEYS[1], 'record', ARGV[5], 'bytes', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[7])
redis.call('INCRBY', KEYS[3], ARGV[3])
return used + tonumber(ARGV[3])
`,
);

/**
 * Charges one request to each counter, in order (a counter may come twice). KEYS: the counters. ARGV: each
 * counter's window in ms. Returns, per counter, the count in its window and the ms left of it. A fixed window
 * per counter: the first charge starts it (PEXPIRE); a counter found without an expiry gets one.
 */
export const chargeBudgets = script(
  'oaChargeBudgets',
  `
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, ARGV[i])
    left = tonumber(ARGV[i])
  end
  out[2 * i - 1] = count
  out[2 * i] = left
end
return out
`,
);
