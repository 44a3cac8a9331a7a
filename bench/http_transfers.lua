-- wrk script for bench/http_transfers.sh and bench/ceiling.sh: hands out pre-signed requests,
-- each at most once, and counts the answers by status.
--
-- Environment:
--   KG_REQUESTS  file of requests, one a line (bench/http_gen.mjs), either
--                "PATH<TAB>API_KEY<TAB>FORM_BODY": a POST with that X-MBX-APIKEY and form body, or
--                "METHOD<TAB>PATH<TAB>API_KEY<TAB>PARAMS": PARAMS as the query of a GET or DELETE,
--                as the form body otherwise; API_KEY "-" sends no X-MBX-APIKEY
--   KG_ID_FIELD  the JSON field of a 200 answer that carries the request's own id (clientTranId,
--                clientOrderId); empty or unset: no id is looked for (noid stays 0)
--   KG_THREADS   wrk's -t (thread i takes the pairs of lines i, i+T, i+2T, ...: no line is sent
--                twice, and a BUY and its SELL go through the same thread)
--   KG_WRAP      1: start again at the first line when a thread runs out (the nginx reference,
--                which does not care); otherwise running out is counted and fails the run
--   KG_IDS_OUT   file to write the id of every 200 answer to, one a line
--
-- done() prints one line "KGBENCH key=value ..." for the driver, and every non-200 status.
-- Both servers get the same requests and the same per-response work here (the reference is
-- nginx answering a fixed JSON shaped like keygate's answer, with the same id field).

local threads = {}
local nthreads_seen = 0

function setup(thread)
  thread:set("id", nthreads_seen)
  nthreads_seen = nthreads_seen + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(os.getenv("KG_REQUESTS"), "KG_REQUESTS not set")
  local nthreads = tonumber(os.getenv("KG_THREADS") or "1")
  local id_field = os.getenv("KG_ID_FIELD") or ""
  id_pattern = id_field ~= "" and ('"' .. id_field .. '":"([^"]*)"') or nil
  wrap = os.getenv("KG_WRAP") == "1"
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if math.floor(i / 2) % nthreads == id then
      local method, path, key, body = string.match(line, "^([A-Z]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      if not method then
        method = "POST"
        path, key, body = string.match(line, "^([^\t]+)\t([^\t]+)\t(.*)$")
      end
      assert(path, "bad request line " .. i)
      local headers = {}
      if key ~= "-" then headers["X-MBX-APIKEY"] = key end
      if method == "GET" or method == "DELETE" then
        if body ~= "" then path = path .. "?" .. body end
        body = nil
      else
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      reqs[#reqs + 1] = wrk.format(method, path, headers, body)
    end
    i = i + 1
  end
  nreqs = #reqs
  assert(nreqs > 0, "no requests for thread " .. id)
  nxt = 1
  sent = 0
  exhausted = 0
  ok = 0
  bad = 0
  noid = 0
  statuses = {}
  first_bad = ""
  ids = {}
end

function request()
  if nxt > nreqs then
    if wrap then
      nxt = 1
    else
      -- Out of fresh requests: resend the last one (the server refuses the replay), count it.
      exhausted = exhausted + 1
      sent = sent + 1
      return reqs[nreqs]
    end
  end
  local r = reqs[nxt]
  nxt = nxt + 1
  sent = sent + 1
  return r
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    if id_pattern then
      local tid = string.match(body, id_pattern)
      if tid then
        ids[#ids + 1] = tid
      else
        noid = noid + 1
      end
    end
  else
    bad = bad + 1
    local k = tostring(status)
    statuses[k] = (statuses[k] or 0) + 1
    if first_bad == "" then first_bad = k .. " " .. string.sub(body or "", 1, 200) end
  end
end

function done(summary, latency, requests)
  local t_sent, t_ok, t_bad, t_exh, t_noid = 0, 0, 0, 0, 0
  local all_status = {}
  local firsts = {}
  local out = os.getenv("KG_IDS_OUT")
  local f = (out and out ~= "") and assert(io.open(out, "w")) or nil
  for _, thread in ipairs(threads) do
    t_sent = t_sent + thread:get("sent")
    t_ok = t_ok + thread:get("ok")
    t_bad = t_bad + thread:get("bad")
    t_exh = t_exh + thread:get("exhausted")
    t_noid = t_noid + thread:get("noid")
    for k, v in pairs(thread:get("statuses")) do all_status[k] = (all_status[k] or 0) + v end
    local fb = thread:get("first_bad")
    if fb ~= "" then firsts[#firsts + 1] = fb end
    if f then
      local tids = thread:get("ids")
      for j = 1, #tids do f:write(tids[j], "\n") end
    end
  end
  if f then f:close() end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "KGBENCH sent=%d responses=%d ok=%d non200=%d exhausted=%d noid=%d seconds=%.3f ok_per_s=%.1f "
      .. "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      .. "err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    t_sent, summary.requests, t_ok, t_bad, t_exh, t_noid, secs, t_ok / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect, e.read, e.write, e.timeout))
  for k, v in pairs(all_status) do io.write(string.format("KGBENCH-STATUS %s %d\n", k, v)) end
  for _, fb in ipairs(firsts) do io.write("KGBENCH-FIRST-NON200 ", fb, "\n") end
end
