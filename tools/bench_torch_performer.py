"""The Performer softmax kernel (positive random features, as the Performer authors' baseline computes it) in PyTorch on
the CPU, timed at float32 and float64: the side-by-side of docs/benchmarks.md ("Performer against PyTorch"). Same
shapes as EstimatorBenchmark's performer: d = dv = 64, 256 features, n = 4096 and 16384, 2 threads.

    $(bin/python-env tools/extract/requirements.txt) tools/bench_torch_performer.py
"""
import time, torch, math
torch.set_num_threads(2)
def performer(q, k, v, w):
    # FAVOR+ positive features as the Performer authors' softmax kernel: exp(w.x - |x|^2/2 - max) / sqrt(F)
    d = q.shape[-1]; scale = d ** -0.25
    q = q * scale; k = k * scale
    qp = q @ w.T; kp = k @ w.T
    qf = torch.exp(qp - (q * q).sum(-1, keepdim=True) / 2 - qp.amax(-1, keepdim=True)) + 1e-4
    kf = torch.exp(kp - (k * k).sum(-1, keepdim=True) / 2 - kp.amax()) + 1e-4
    kv = kf.T @ v
    z = qf @ kf.sum(0)
    return (qf @ kv) / z[:, None]
for dtype in (torch.float32, torch.float64):
    for n in (4096, 16384):
        g = torch.Generator().manual_seed(0)
        q = torch.randn(n, 64, generator=g, dtype=dtype); k = torch.randn(n, 64, generator=g, dtype=dtype)
        v = torch.randn(n, 64, generator=g, dtype=dtype); w = torch.randn(256, 64, generator=g, dtype=dtype)
        for _ in range(5): performer(q, k, v, w)
        ts = []
        for _ in range(20):
            t = time.perf_counter(); performer(q, k, v, w); ts.append(time.perf_counter() - t)
        ts.sort()
        print(f"{str(dtype):14s} n={n:6d} median {1000*ts[len(ts)//2]:.1f} ms  min {1000*ts[0]:.1f} ms")
