-- A mix as a deployment sees it: mostly integrations verifying their key,
-- some dashboard traffic.  Per request: 80% GET /System/Info with an API
-- key, 10% the same with a session token, 6% GET /Auth/Keys, 2% POST
-- /Auth/Keys, 2% DELETE /Auth/Keys/{key} of a pre-made key (each once;
-- unknown keys once they run out).
local threads = {}
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local key = os.getenv("BENCH_KEY")
local session = os.getenv("BENCH_SESSION")

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
	pos = 0
	math.randomseed(os.time() + id * 7919)
	h_key = { Authorization = 'MediaBrowser Token="' .. key .. '", Client="Heimdall"' }
	h_session = { Authorization = 'MediaBrowser Token="' .. session .. '"' }
end

function request()
	local r = math.random(100)
	if r <= 80 then
		return wrk.format("GET", "/System/Info", h_key)
	elseif r <= 90 then
		return wrk.format("GET", "/System/Info", h_session)
	elseif r <= 96 then
		return wrk.format("GET", "/Auth/Keys", h_session)
	elseif r <= 98 then
		return wrk.format("POST", "/Auth/Keys?app=bench-mix", h_session)
	end
	pos = pos + 1
	local k = keys[pos] or string.format("%032x", pos)
	return wrk.format("DELETE", "/Auth/Keys/" .. k, h_session)
end
