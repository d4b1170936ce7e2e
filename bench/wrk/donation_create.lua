-- (D) POST /api/v1/donations with a valid body, rotating over the donor ids in BENCH_IDS and
-- over a few amounts. No Idempotency-Key: the plain create path.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

local ids, index = {}, 0
local amounts = { "10.00", "25.00", "50.00", "100.00", "12.34" }
local today = os.date("!%Y-%m-%d")
function init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do
    ids[#ids + 1] = line
  end
  index = offset or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  index = index + 1
  local body = string.format(
    '{"donor_id":"%s","amount":"%s","currency":"USD","date":"%s","payment_method":"credit_card"}',
    ids[(index % #ids) + 1], amounts[(index % #amounts) + 1], today)
  return wrk.format(nil, "/api/v1/donations", nil, body)
end
