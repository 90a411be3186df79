-- GET /api/v1/patients?name=<prefix>, cycling over 2–4 letter prefixes of the synthetic family
-- names (each matches about 1 patient in 20, so every query hits the 1,000-candidate cap).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local prefixes = {
   "Mol", "Ca", "Inci", "Bic", "Prem", "Ena", "Den", "Cu", "Cro", "Flo",
   "Gum", "Oc", "Ling", "Buc", "Pal", "Fis", "Sea", "Ven", "Bri", "Imp",
}
local i, headers = 0, nil

function init(args)
   headers = { ["Authorization"] = common.auth() }
end

function request()
   i = i % #prefixes + 1
   return wrk.format("GET", "/api/v1/patients?name=" .. prefixes[i], headers)
end

done = common.done
