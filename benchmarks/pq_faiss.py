"""FAISS side of benchmarks/pq_faiss.ts (test-only, manual: needs Debian python3-faiss).

Reads float32 training and encoding data written by the TypeScript side, trains
faiss.ProductQuantizer(d, M, nbits) single-threaded, reports the reconstruction MSE, the encode
speed, and writes the centroids and codes for the cross-check.
"""
import json
import sys
import time

import faiss
import numpy as np

out = sys.argv[1]
d, M, nbits = 32, 8, 8
faiss.omp_set_num_threads(1)
train = np.fromfile(f"{out}/train.f32", dtype=np.float32).reshape(-1, d)
enc = np.fromfile(f"{out}/encode.f32", dtype=np.float32).reshape(-1, d)
pq = faiss.ProductQuantizer(d, M, nbits)
pq.train(train)
codes = pq.compute_codes(train)
mse = float(np.mean((pq.decode(codes) - train) ** 2))
pq.compute_codes(enc[:1000])
t = time.perf_counter()
enc_codes = pq.compute_codes(enc)
dt = time.perf_counter() - t
faiss.vector_to_array(pq.centroids).astype(np.float32).tofile(f"{out}/faiss_centroids.f32")
enc_codes.tofile(f"{out}/faiss_codes.u8")
print(json.dumps({
    "version": faiss.__version__,
    "mse": mse,
    "encode_vectors_per_s": len(enc) / dt,
}))
