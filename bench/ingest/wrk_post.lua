-- POSTs pre-built JSON bodies (BENCH_BODIES/0.json, 1.json, ...) in rotation to BENCH_PATH,
-- then prints one JSON line of results (latencies in microseconds).
local bodies = {}
local counter = 0
local path = os.getenv("BENCH_PATH")
local key = os.getenv("BENCH_KEY")
local dir = os.getenv("BENCH_BODIES")
local headers = {["Content-Type"] = "application/json", ["X-API-Key"] = key}

function init(args)
  local i = 0
  while true do
    local f = io.open(dir .. "/" .. i .. ".json", "rb")
    if not f then break end
    bodies[#bodies + 1] = f:read("*a")
    f:close()
    i = i + 1
  end
end

function request()
  counter = counter + 1
  return wrk.format("POST", path, headers, bodies[(counter % #bodies) + 1])
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "status_errors": %d, "connect_errors": %d, '
    .. '"read_errors": %d, "write_errors": %d, "timeouts": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
