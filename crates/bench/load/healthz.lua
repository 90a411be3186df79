-- GET /healthz: the server's own HTTPS + middleware path with no database and no PHI; the
-- limit every other figure of a run is stated against.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

wrk.method = "GET"
wrk.path = "/healthz"
done = common.done
