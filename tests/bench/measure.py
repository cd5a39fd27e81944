#!/usr/bin/python3
"""Runs a command and reports its wall time and peak memory.

  measure.py OUT_FILE ERR_FILE COMMAND [ARGS...]

prints "seconds=S maxrss_mb=M rc=R" (peak resident set of the command and
its children, from getrusage)."""
import resource
import subprocess
import sys
import time

out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "wb") as o, open(err, "wb") as e:
    t0 = time.monotonic()
    rc = subprocess.call(cmd, stdout=o, stderr=e)
    t = time.monotonic() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print("seconds=%.3f maxrss_mb=%.1f rc=%d" % (t, peak, rc))
