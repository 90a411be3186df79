-- GET /api/v1/patients?name=<term>, cycling over search terms (argument 1: a file, one term a
-- line) that `enamel-bench seed` drew from the patients' own name distribution: two-letter and
-- longer prefixes of family names, whole family names, a given-name prefix with a family name,
-- and names nobody has (see crates/bench/src/names.rs).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local terms, i, headers = nil, 0, nil

function init(args)
   terms = common.lines(args[1], false)
   for k, term in ipairs(terms) do
      terms[k] = term:gsub(" ", "%%20")
   end
   headers = { ["Authorization"] = common.auth() }
end

function request()
   i = i % #terms + 1
   return wrk.format("GET", "/api/v1/patients?name=" .. terms[i], headers)
end

done = common.done
