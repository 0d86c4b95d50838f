#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lambda zip figures (issue 15): the zip's size and how long its bootstrap takes from exec to
# its first Runtime API call (GET .../runtime/invocation/next), against a fake Runtime API on
# 127.0.0.1 that records the time of that first request. The zip is unpacked once; each run
# starts bootstrap as Lambda does (env -i, LAMBDA_TASK_ROOT, AWS_* of a function), so the
# figure includes the exec, the dynamic loader, every library's constructors and the
# handler's setup. Each run is killed at its first request and reaped with wait4: its CPU
# time (user + system, the kernel's task clock of the process through its execs) is what it
# used up to that call, a figure that depends less on the box's load than the wall time does.
# Prints every run and the medians of both. With several zips the runs alternate between
# them (same box, same moment). With BENCH_IR=1, also the instructions each zip executes up to
# its first connect(), counted by valgrind's callgrind (perf has no hardware counters in a
# VM); the count is the program's alone (the launcher or /bin/sh is not in it) and does not
# depend on the load at all (not for a fully static zip, whose stripped program has no
# symbols: valgrind --tool=callgrind --dump-before=connect build-lambda/vpcpeer-lambda then).
# `uptime` is printed before and after the runs.
# Usage: bench/lambda_start.sh [ZIP...] [RUNS]
#        (default ZIP build-lambda/vpcpeer-lambda-<arch>.zip, RUNS 15)
set -euo pipefail
cd "$(dirname "$0")/.."
case "$(uname -m)" in x86_64) arch=x86_64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
zips=()
runs=15
for a in "$@"; do
	if [[ $a =~ ^[0-9]+$ ]]; then runs=$a; else zips+=("$a"); fi
done
[ ${#zips[@]} -gt 0 ] || zips=("build-lambda/vpcpeer-lambda-$arch.zip")
for zip in "${zips[@]}"; do
	[ -f "$zip" ] || { echo "no $zip: run scripts/package-lambda first" >&2; exit 1; }
done
exec python3 -B - "$runs" "${BENCH_IR:-0}" "${zips[@]}" <<'PY'
import glob, http.server, os, re, signal, statistics, subprocess, sys, tempfile, threading, time
import zipfile

runs, want_ir, zips = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
first = threading.Event()
seen = {}

class RuntimeApi(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if "t" not in seen:
            seen["t"] = time.monotonic_ns()
            seen["path"] = self.path
            first.set()
        # No invocation: the handler waits on this request until the run ends.
        try:
            self.rfile.read(1)
        except OSError:
            pass

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()

def unpack(zip_path):
    work = tempfile.TemporaryDirectory()
    z = zipfile.ZipFile(zip_path)
    z.extractall(work.name)
    for info in z.infolist():  # zipfile drops the modes
        os.chmod(os.path.join(work.name, info.filename), (info.external_attr >> 16) & 0o777)
    libs = [n for n in z.namelist() if n.startswith("lib/")]
    kind = "script" if z.read("bootstrap").startswith(b"#!") else "program"
    print(f"{zip_path}: {os.path.getsize(zip_path) / 1048576:.2f} MiB, {len(libs)} files in "
          f"lib/, unpacked {sum(i.file_size for i in z.infolist()) / 1048576:.1f} MiB, "
          f"bootstrap a {kind}")
    return work

def env_for(root):
    return {
        "LAMBDA_TASK_ROOT": root,
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_SESSION_TOKEN": "token",
        "VPCPEER_BROKER_URL": "https://broker.example:8443",
        "AWS_EC2_METADATA_DISABLED": "true",
    }

def one_run(root):
    first.clear()
    seen.clear()
    t0 = time.monotonic_ns()
    p = subprocess.Popen([os.path.join(root, "bootstrap")], env=env_for(root), cwd="/",
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ok = first.wait(10)
    p.send_signal(signal.SIGKILL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = status
    err = p.stderr.read()
    p.stderr.close()
    if not ok:
        sys.exit(f"{root}: no Runtime API call within 10 s; stderr: {err.decode()[-500:]}")
    if "/runtime/invocation/next" not in seen["path"]:
        sys.exit(f"{root}: first call was {seen['path']}, not invocation/next")
    return (seen["t"] - t0) / 1e6, (usage.ru_utime + usage.ru_stime) * 1e3, usage.ru_stime * 1e3

def instructions(root):
    """Instructions of the handler program up to its first connect() (callgrind)."""
    lib = os.path.join(root, "lib")
    loaders = glob.glob(os.path.join(lib, "ld-linux*"))
    # A program linked fully statically (glibc too) is the bootstrap itself, with no loader.
    argv = ([loaders[0], "--library-path", lib, os.path.join(root, "bin", "vpcpeer-lambda")]
            if loaders else [os.path.join(root, "bootstrap")])
    first.clear()
    seen.clear()
    with tempfile.TemporaryDirectory() as out:
        p = subprocess.Popen(["valgrind", "--tool=callgrind", "--dump-before=connect",
                              f"--callgrind-out-file={out}/cg", *argv],
                             env=env_for(root), cwd="/", stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        ok = first.wait(120)  # the dump is written before the connect that precedes the GET
        p.kill()
        _, err = p.communicate()
        dumps = sorted(glob.glob(f"{out}/cg.*"))
        if ok and not dumps and not loaders:
            return None  # stripped static program: callgrind finds no symbol `connect`
        if not ok or not dumps:
            sys.exit(f"callgrind wrote no dump before connect: {err.decode()[-500:]}")
        m = re.search(rb"^summary: (\d+)", open(dumps[0], "rb").read(), re.M)
        return int(m.group(1))

def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

print("before:", uptime())
roots = [unpack(z) for z in zips]
results = [[] for _ in zips]
for i in range(runs):
    for k, work in enumerate(roots):
        results[k].append(one_run(work.name))
for zip_path, work, res in zip(zips, roots, results):
    wall = [r[0] for r in res]
    cpu = [r[1] for r in res]
    system = [r[2] for r in res]
    print(f"{zip_path}:")
    print("  wall (ms):", " ".join(f"{t:.1f}" for t in wall))
    print("  cpu  (ms):", " ".join(f"{t:.1f}" for t in cpu))
    print(f"  start to first Runtime API call: wall median {statistics.median(wall):.1f} ms "
          f"(min {min(wall):.1f}), CPU median {statistics.median(cpu):.1f} ms "
          f"(min {min(cpu):.1f}; of it system {statistics.median(system):.1f}) over {runs} runs")
    if want_ir:
        ir = instructions(work.name)
        print("  instructions to the first connect(): " +
              (f"{ir:,}" if ir is not None else "n/a (a stripped static program has no "
               "symbol `connect` for callgrind: count its unstripped build)"))
print("after: ", uptime())
print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (a shared box: compare "
      "zips from one invocation only)")
server.shutdown()
PY
