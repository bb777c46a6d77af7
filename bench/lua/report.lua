-- Appended to every scenario script by bench/run: writes the summary as one
-- line of KEY=VALUE pairs to $BENCH_OUT (latencies in microseconds).
function done(summary, latency, requests)
	local e = summary.errors
	local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
	out:write(string.format(
		"requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
		"mean_us=%.0f err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d",
		summary.requests, summary.duration, latency:percentile(50),
		latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
		e.connect, e.read, e.write, e.status, e.timeout))
	if bench_extra then
		out:write(" " .. bench_extra())
	end
	out:write("\n")
	out:close()
end
