-- DELETE /Auth/Keys/{key} over a pre-made list of real keys
-- ($BENCH_TOKENS, one a line): thread i of n takes every n-th key, so each
-- key is revoked once.  A thread that runs out sends well-formed unknown
-- keys (also 204, as Jellyfin): bench_extra() reports how many requests
-- revoked a real key, so the figure can be told apart.
local threads = {}
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")

function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

function init(args)
	keys = {}
	local i = 0
	for line in io.lines(os.getenv("BENCH_TOKENS")) do
		if i % nthreads == id then
			keys[#keys + 1] = line
		end
		i = i + 1
	end
	nkeys = #keys
	pos = 0
	unknown = 0
	wrk.method = "DELETE"
end

function request()
	pos = pos + 1
	local key = keys[pos]
	if key == nil then
		unknown = unknown + 1
		key = string.format("%032x", unknown)
	end
	return wrk.format("DELETE", "/Auth/Keys/" .. key)
end

function bench_extra()
	local real, sent, listed = 0, 0, 0
	for _, t in ipairs(threads) do
		local p, n = t:get("pos"), t:get("nkeys")
		sent = sent + p
		listed = listed + n
		real = real + math.min(p, n)
	end
	-- requests generated; a few in flight at the end are not answered
	return string.format("delete_listed=%d delete_sent=%d delete_real=%d", listed, sent, real)
end
