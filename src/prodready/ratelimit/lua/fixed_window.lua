-- Fixed-window counters for every rule that matches one request, in one call.
--
-- KEYS[i]  the counter's base key of rule i (the window index is appended here)
-- ARGV[i]  the window length of rule i, in seconds
--
-- Returns {count_1, ms_to_reset_1, count_2, ms_to_reset_2, ...}.
--
-- The window comes from the server's clock (TIME), so app servers with skewed
-- clocks agree on it. INCR is atomic, so concurrent requests get distinct
-- counts: no read-modify-write race. Every key gets an expiry on its first hit,
-- inside this same atomic call, so no counter outlives its window.
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local result = {}
for i, base in ipairs(KEYS) do
  local period_ms = tonumber(ARGV[i]) * 1000
  local window = math.floor(now_ms / period_ms)
  local key = base .. ':' .. window
  local count = redis.call('INCR', key)
  if count == 1 then
    -- One second of slack so a key never vanishes just before its window ends.
    redis.call('PEXPIRE', key, period_ms + 1000)
  end
  result[#result + 1] = count
  result[#result + 1] = period_ms - (now_ms % period_ms)
end
return result
