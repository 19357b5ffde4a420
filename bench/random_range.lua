-- wrk script: GET the path given on the command line with a random 64 KiB Range.
-- usage: SIZE=<file bytes> wrk -s bench/random_range.lua URL
local size = tonumber(os.getenv("SIZE") or "5000000")
local span = 65536
math.randomseed(os.time())
request = function()
  local start = math.random(0, size - span)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. start .. "-" .. (start + span - 1) })
end
