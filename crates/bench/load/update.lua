-- PUT /api/v1/patients/{id} with `If-Match: *`, cycling over sampled records (argument 1: a
-- file of "id<TAB>family<TAB>given<TAB>birth date" lines): keeps the name, sets a new e-mail
-- and phone each time, so every request writes a new version (row, history snapshot, search
-- tokens, audit entry). `*` makes the server read the current version first (an audited read).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local targets, n, headers = nil, 0, nil

function init(args)
   targets = common.lines(args[1], true)
   headers = {
      ["Authorization"] = common.auth(),
      ["Content-Type"] = "application/json",
      ["If-Match"] = "*",
   }
end

function request()
   n = n + 1
   local t = targets[(n - 1) % #targets + 1]
   local body = string.format(
      '{"family_name":"%s","given_name":"%s","birth_date":"%s",' ..
      '"email":"bench-update%d@example.test","phones":[{"kind":"mobile","number":"(555) 010-%04d"}]}',
      t[2], t[3], t[4], n, n % 100)
   return wrk.format("PUT", "/api/v1/patients/" .. t[1], headers, body)
end

done = common.done
