#!/usr/bin/env python3
"""Raw-HTTP A/B of the request's form, on one kept-alive connection: the shuffled extend
sequence of `extent bench` (59 patches of 1x1024x1024 uint16, one container down), sent with
extent's exact headers or with Tiled's Python client's (its Accept, Accept-Encoding, user
agent and CSRF cookie), and with `extend=true` only on the patches that grow the array (as
extent sends) or on every patch (as the client sends). Modes, alternated per repeat:

  ext          extent's headers, extend only when growing (extent's requests)
  ext_true     extent's headers, extend=true always
  py           the client's headers and cookie, extend=true always (the client's requests)
  py_extform   the client's headers, extend only when growing

Prints the server's CPU ms per patch (workers + PostgreSQL + Redis, /proc) and wall ms per
patch per run, then all as JSON.

usage: tiled_forms.py MODES REPEATS     e.g. tiled_forms.py ext,ext_true,py,py_extform 3
(environment of `eval "$(TILED_PROFILE=prod scripts/start-tiled.sh)"`; the pinned venv's python)
"""
import os, sys, time, json, uuid, http.client, urllib.parse
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiled_floor import server_cpu  # noqa: E402
from tiled_peer import container, shuffled  # noqa: E402
from zarr_peer import frame  # noqa: E402
from tiled.client import from_uri  # noqa: E402
url=os.environ["TILED_URL"]; key=os.environ["TILED_API_KEY"]; data=os.environ["TILED_DATA_DIR"]
pids=[int(os.environ["TILED_PID"]), int(open(f"{data}/pg/postmaster.pid").readline()), int(open(f"{data}/redis/redis.pid").read())]
u=urllib.parse.urlparse(url)
c=from_uri(url, api_key=key); parent=container(c,"extent-bench")
N=60; shape=(1,1024,1024)
frames=[frame(shape,"uint16",i) for i in range(N)]; bodies=[f.tobytes() for f in frames]
order=shuffled(N)
def send(conn, path, i, extend, headers):
    q=urllib.parse.urlencode({"offset":f"{i},0,0","shape":"1,1024,1024","extend":"true" if extend else "false"})
    conn.putrequest("PATCH", f"/api/v1/array/full/{path}?{q}", skip_host=True, skip_accept_encoding=True)
    for k,v in headers: conn.putheader(k,v)
    conn.putheader("content-length", str(len(bodies[i])))
    conn.endheaders(); conn.send(bodies[i])
    r=conn.getresponse(); r.read(); assert r.status==200, r.status
    return r
host=f"{u.hostname}:{u.port}"
EXT=[("accept","application/json"),("content-type","application/octet-stream"),("authorization",f"Apikey {key}"),("user-agent","extent/0.1.0"),("host",host)]
PY=[("Host",host),("Accept","*/*"),("Connection","keep-alive"),("accept-encoding","gzip, deflate, zstd, blosc2"),("user-agent","python-tiled/0.2.20"),("Authorization",f"Apikey {key}"),("Content-Type","application/octet-stream")]
res={}
modes=sys.argv[1].split(","); reps=int(sys.argv[2])
for rep in range(reps):
  for mode in modes:
    name=f"forms-{uuid.uuid4().hex[:6]}"; arr=parent.write_array(frames[0], key=name)
    conn=http.client.HTTPConnection(u.hostname,u.port)
    hdrs = EXT if mode.startswith("ext") else PY
    cookie=None; hi=1
    c0,t0=server_cpu(pids),time.perf_counter()
    for i in order:
      grows=i+1>hi; hi=max(hi,i+1)
      h=list(hdrs)
      if mode.startswith("py") and cookie: h.append(("Cookie",cookie))
      ext = grows if mode in ("ext","py_extform") else True
      r=send(conn,"extent-bench/"+name,i,ext,h)
      sc=r.getheader("set-cookie")
      if sc and not cookie: cookie=sc.split(";")[0]
    cpu=server_cpu(pids)-c0; w=time.perf_counter()-t0
    res.setdefault(mode,[]).append((round(cpu/len(order)*1e3,1), round(w/len(order)*1e3,1)))
    arr.delete(external_only=False)
    print(mode, res[mode][-1], "load", open("/proc/loadavg").read().split()[0], flush=True)
print(json.dumps(res))
