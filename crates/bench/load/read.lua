-- GET /api/v1/patients/{id}, cycling over sampled ids (argument 1: a file, one id a line):
-- session + authorize + fetch + durable `view` audit entry + decrypt, as the front desk.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local ids, i, headers = nil, 0, nil

function init(args)
   ids = common.lines(args[1], false)
   headers = { ["Authorization"] = common.auth() }
end

function request()
   i = i % #ids + 1
   return wrk.format("GET", "/api/v1/patients/" .. ids[i], headers)
end

done = common.done
