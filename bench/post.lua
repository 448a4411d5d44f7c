-- wrk script: POST comments, each with a different text (so none is a duplicate), using
-- the form fields and cookie bench.py fetched from the comment form, and a form token of
-- its own (a form serves one post): BENCH_POST_TOKENS names a file of fresh tokens, one
-- a line, which the threads share out by their number.
local fields = os.getenv("BENCH_POST_BODY") or ""
local STRIDE = 8 -- more than the threads bench.py ever starts
local tokens = {}
local used = 0
local words = {"river", "budget", "council", "library", "market", "bridge", "school",
  "harbour", "tram", "museum", "festival", "garden", "station", "square", "theatre",
  "stadium", "clinic", "forest", "lantern", "meadow"}
local counter = 0
local threads = 0

setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local function spell(n)
  local out = {}
  repeat
    table.insert(out, words[(n % #words) + 1])
    n = math.floor(n / #words)
  until n == 0
  return table.concat(out, "+")
end

init = function(args)
  local path = os.getenv("BENCH_POST_TOKENS")
  if not path then
    return
  end
  local index = 0
  for line in io.lines(path) do
    if index % STRIDE == (tid or 0) then
      table.insert(tokens, line)
    end
    index = index + 1
  end
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

request = function()
  counter = counter + 1
  local id = (tid or 0) * 1000000 + counter
  local text = "Benchmark+comment+about+the+" .. spell(id) .. "+and+what+happens+next"
  used = used + 1
  local token = tokens[used] or ""
  return wrk.format(nil, nil, nil, fields .. "&token=" .. token .. "&body=" .. text)
end

-- The JSON line bench.py reads: stats.lua's `done`, beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "stats.lua")
