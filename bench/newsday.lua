-- wrk script: GET pages by popularity. BENCH_PAGES_FILE holds "<weight> <path>" lines;
-- each request picks a page with probability proportional to its weight.
local paths, cumulative, total = {}, {}, 0
for line in io.lines(os.getenv("BENCH_PAGES_FILE")) do
  local weight, path = line:match("^(%S+) (%S+)$")
  if path then
    total = total + tonumber(weight)
    table.insert(paths, path)
    table.insert(cumulative, total)
  end
end

init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

request = function()
  local target = math.random() * total
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < target then low = middle + 1 else high = middle end
  end
  return wrk.format("GET", paths[low])
end

-- The JSON line bench.py reads: stats.lua's `done`, beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "stats.lua")
