-- Shared by the wrk scripts of crates/bench/load (loaded with dofile; wrk runs LuaJIT).
-- The bearer token comes from the environment (ENAMEL_BENCH_TOKEN), never the command line,
-- so it does not show in `ps`. At the end, one machine-readable line for run.py.
local M = {}

function M.auth()
   local token = os.getenv("ENAMEL_BENCH_TOKEN")
   if token == nil or token == "" then
      error("ENAMEL_BENCH_TOKEN is not set")
   end
   return "Bearer " .. token
end

-- The lines of a text file (tab-separated fields split when `split` is true).
function M.lines(path, split)
   local out = {}
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      if line ~= "" then
         if split then
            local fields = {}
            for field in string.gmatch(line, "[^\t]+") do
               fields[#fields + 1] = field
            end
            out[#out + 1] = fields
         else
            out[#out + 1] = line
         end
      end
   end
   f:close()
   assert(#out > 0, path .. " is empty")
   return out
end

function M.done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,' ..
      '"p99_us":%d,"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
      '"status_errors":%d,"timeouts":%d}\n',
      summary.requests, summary.duration, summary.bytes, latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end

return M
