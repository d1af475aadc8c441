"""Peer of the Parquet row of `just bench-peers`: pyarrow reading the shard pttrust's writer
wrote (BenchmarkPeerShard: shard/shard-00000.parquet) into a table and the state column into a
[rows, d] float32 array, and writing the same table back (zstd, row groups of 4096, as pttrust's
writer). MB/s counts the bytes of pttrust's shard file for both directions. Prints one JSON line.

  python parquet_peer.py --shard shard-00000.parquet --out /tmp/x.parquet --reps 3
"""
import argparse
import json
import os
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shard", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    size = os.path.getsize(a.shard)
    state = [c for c in pq.read_schema(a.shard).names if c.startswith("state_")][0]

    def read():
        t = pq.read_table(a.shard)
        col = t.column(state).combine_chunks()
        x = col.values.to_numpy().reshape(len(col), -1)
        return t, x

    def write(t):
        pq.write_table(t, a.out, compression="zstd", row_group_size=4096)

    t, x = read()  # warm-up
    t0 = time.perf_counter()
    for _ in range(a.reps):
        t, x = read()
    r = (time.perf_counter() - t0) / a.reps
    write(t)
    t0 = time.perf_counter()
    for _ in range(a.reps):
        write(t)
    w = (time.perf_counter() - t0) / a.reps
    common = {"row": "parquet", "side": "peer", "peer": "pyarrow", "version": "pyarrow " + pa.__version__,
              "rows": t.num_rows, "file_MB": size / 1e6, "peer_file_MB": os.path.getsize(a.out) / 1e6}
    print(json.dumps({**common, "op": "read", "MB_per_s": size / 1e6 / r, "rows_per_s": t.num_rows / r}))
    print(json.dumps({**common, "op": "write", "MB_per_s": size / 1e6 / w, "rows_per_s": t.num_rows / w}))


if __name__ == "__main__":
    main()
