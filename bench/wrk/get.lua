-- (A) and (B): the URL given on wrk's command line, again and again.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
