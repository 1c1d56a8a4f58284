-- wrk script: stop after a fixed number of responses (`wrk -t1 ... -s stop-after.lua <url> -- <count>`).
-- With one thread the count is exact. wrk's main thread sleeps for -d whatever its threads do, so the script
-- also sends SIGINT to wrk (the shell's parent): wrk then stops at once and reports the true elapsed time.
-- -d still bounds the run when the count is never reached.
local limit = 0
local seen = 0

function init(args)
  limit = tonumber(args[1]) or 0
end

function response(status, headers, body)
  seen = seen + 1
  if limit > 0 and seen >= limit then
    limit = 0
    wrk.thread:stop()
    os.execute('(sleep 0.1; kill -INT $PPID) &')
  end
end
