-- wrk script for bench/cage_load.sh: replays the requests of a file (NUL-separated, written by
-- cage_requests), each once, shared out over wrk's threads, with a pause before each request on
-- each connection to hold the rate near connections x 1000 / pause_ms per second.
--   wrk -t T -c C -d D -s bench/cage_wrk.lua URL -- FILE PAUSE_MS T
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[3] or "1")
  pause_ms = tonumber(args[2] or "0")
  local f = assert(io.open(file, "rb"))
  local data = f:read("*a")
  f:close()
  requests = {}
  local i = 0
  for req in data:gmatch("([^%z]+)%z") do
    if i % nthreads == index then table.insert(requests, req) end
    i = i + 1
  end
  next_request = 1
end

function request()
  if next_request > #requests then next_request = 1 end  -- replays are refused: sized to not happen
  local r = requests[next_request]
  next_request = next_request + 1
  return r
end

function delay()
  return pause_ms
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("requests/s %.0f  p50 %.3f ms  p95 %.3f ms  p99 %.3f ms  non-2xx %d  socket errors %d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
