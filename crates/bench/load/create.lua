-- POST /api/v1/patients: a full synthetic record (demographics, contact, insurance), as the
-- front desk registers a new patient; sealed, indexed and audited in one transaction.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

local family = {
   "Molar", "Canine", "Incisor", "Bicuspid", "Premolar", "Enamel", "Dentin", "Cusp", "Crown",
   "Floss", "Gumline", "Occlusal", "Lingual", "Buccal", "Palatal", "Fissure", "Sealant",
   "Veneer", "Bridge", "Implant",
}
local given = { "Demo", "Sample", "Testa", "Placeholder", "Exemplar", "Mock", "Dummy", "Fixture" }
local n, headers = 0, nil

function init(args)
   headers = { ["Authorization"] = common.auth(), ["Content-Type"] = "application/json" }
end

function request()
   n = n + 1
   local body = string.format(
      '{"family_name":"%s","given_name":"%s","birth_date":"%04d-%02d-%02d","sex":"unknown",' ..
      '"preferred_language":"en","email":"bench%d@example.test",' ..
      '"phones":[{"kind":"mobile","number":"(555) 010-%04d"}],' ..
      '"address":{"line1":"%d Enamel Way","city":"Testville","region":"TS","postal_code":"000%02d"},' ..
      '"coverages":[{"carrier":"Synthetic Dental Mutual","plan":"PPO","subscriber_id":"SYN%09d"}]}',
      family[n % #family + 1], given[n % #given + 1],
      1940 + n % 60, 1 + n % 12, 1 + n % 28, n, n % 100, 1 + n % 999, n % 100, n)
   return wrk.format("POST", "/api/v1/patients", headers, body)
end

done = common.done
