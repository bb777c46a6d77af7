-- POST /Auth/Keys?app=... as an administrator (session token in -H).
wrk.method = "POST"
wrk.path = "/Auth/Keys?app=bench-post"
