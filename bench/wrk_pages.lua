-- wrk script of bench/platform_pages.py: every request takes the next (session cookie, path)
-- line of the file named by WRK_TARGETS, so the connections rotate over the virtual users;
-- responses are counted by status; done() prints one JSON line starting with "RESULT ".
-- No think time: each connection is a user who asks for the next page as soon as one
-- arrives (wrk's delay() inflated latencies when we tried one, see bench/README.md).

local targets = {}
for line in io.lines(os.getenv("WRK_TARGETS")) do
  local cookie, path = line:match("^([^\t]*)\t(.+)$")
  if path then
    targets[#targets + 1] = { cookie = cookie, path = path }
  end
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

function init(args)
  position = id * 7919 -- threads start at different users
  statuses = {}
end

function request()
  position = position % #targets + 1
  local t = targets[position]
  return wrk.format("GET", t.path, { ["Cookie"] = t.cookie })
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[#counts + 1] = string.format('"%s": %d', status, n)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "statuses": [{%s}], '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    table.concat(counts, "}, {"), e.connect, e.read, e.write, e.status, e.timeout))
end
