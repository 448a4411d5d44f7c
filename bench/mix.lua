-- wrk script: cycle through BENCH_PATHS (one per line); used for the memory check.
local paths = {}
for line in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^\n]+") do
  table.insert(paths, line)
end
local sent = 0

request = function()
  sent = sent + 1
  return wrk.format("GET", paths[(sent % #paths) + 1])
end

-- The JSON line bench.py reads: stats.lua's `done`, beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "stats.lua")
