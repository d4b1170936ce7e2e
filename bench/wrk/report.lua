-- Shared by every scenario: after the run, one machine-readable line that bench/run.sh turns
-- into its table. wrk counts a response with a status above 399 in errors.status.
function done(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, socket))
end
