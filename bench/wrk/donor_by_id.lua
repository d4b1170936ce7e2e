-- (C) GET /api/v1/donors/{id}, rotating over the donor ids in the file BENCH_IDS (one a line),
-- each wrk thread starting at another place so that the connections do not ask for one row.
-- BENCH_DONOR_SUFFIX is appended to the path: "/timeline" makes scenario E.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

local ids, index = {}, 0
local suffix = os.getenv("BENCH_DONOR_SUFFIX") or ""
function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do
    ids[#ids + 1] = line
  end
  index = offset or 0
end

function request()
  index = index + 1
  return wrk.format("GET", "/api/v1/donors/" .. ids[(index % #ids) + 1] .. suffix)
end
