/**
 * How the Redis note board (redis_notes.ts) talks to Redis: its one Lua
 * script, and URLs fit for messages.
 *
 * @module
 */

/**
 * Read, append, trim, LRU-evict and publish in one Lua script: Redis runs a
 * script alone, so replicas writing at one location at once neither lose a
 * note nor see one twice, the bounds hold in Redis itself, and every
 * replica hears of the note (for live RouteChat) in the order stored.
 * KEYS: the location's list, the LRU sorted set, the LRU clock.
 * ARGV: message, notes per location, max locations, the writer (see
 * `RedisNoteBoard`), the channel.
 * Evicted keys are not declared in KEYS, so this needs a standalone (or
 * replicated) Redis, not Redis Cluster.
 */
const EXCHANGE_SCRIPT = `
local earlier = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), KEYS[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if excess > 0 then
  local evicted = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #evicted, 2 do redis.call('DEL', evicted[i]) end
end
redis.call('PUBLISH', ARGV[5], ARGV[4] .. ' ' .. KEYS[1] .. '\\n' .. ARGV[1])
return earlier
`;

/**
 * node-redis, loaded by `connect`: most servers keep their notes in memory,
 * and loading it at start took 130-170 ms and about 15 MB of RSS.
 */
export type Redis = typeof import("redis");

/** The script as node-redis defines it, for `createClient({ scripts })`. */
export const exchangeScript = (redis: Redis) =>
  redis.defineScript({
    SCRIPT: EXCHANGE_SCRIPT,
    NUMBER_OF_KEYS: 3,
    parseCommand(
      parser: { pushKey(key: string): void; push(value: string): void },
      keys: [string, string, string],
      args: [string, string, string, string, string],
    ) {
      for (const key of keys) parser.pushKey(key);
      for (const arg of args) parser.push(arg);
    },
    transformReply: undefined as unknown as () => string[],
  });

/** `redis://host:port/db` without a password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.href;
  } catch {
    return url;
  }
}
