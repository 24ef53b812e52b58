-- wrk script of the Duangta benchmark: replays prepared raw HTTP requests.
--
--   wrk -t1 -c32 -d10s -s bench/lua/requests.lua http://127.0.0.1:PORT -- FILE PREFIX
--
-- FILE holds complete requests separated by NUL bytes (method, path, headers with tokens,
-- bodies), written by bench/scenarios.py; each request picks one at random. The text
-- {{KEY}} in a request becomes a key unique to this run (PREFIX, thread, counter), for
-- Idempotency-Key headers. `done` prints one JSON line with the counts and latency
-- percentiles (microseconds) that bench/wrk.py reads.

local threads = {}
local counter = 0
local requests = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   local data = file:read("*a")
   file:close()
   for request in string.gmatch(data, "([^%z]+)") do
      table.insert(requests, request)
   end
   prefix = (args[2] or "bench") .. "-t" .. tostring(tid)
   math.randomseed(os.time() * 1000 + tid)
end

function request()
   local r = requests[math.random(#requests)]
   if string.find(r, "{{KEY}}", 1, true) then
      counter = counter + 1
      r = string.gsub(r, "{{KEY}}", prefix .. "-" .. counter, 1)
   end
   return r
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
      '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean))
end
