-- wrk script: the home page with made-up campaign parameters on every request, as a
-- visitor trying to fill the cache would send them.
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

request = function()
  return wrk.format("GET", string.format("/?utm_source=%d&utm_campaign=%d&fbclid=%d",
    math.random(1, 1000000000), math.random(1, 1000000000), math.random(1, 1000000000)))
end

-- The JSON line bench.py reads: stats.lua's `done`, beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "stats.lua")
