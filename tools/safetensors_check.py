#!/usr/bin/python3
"""Inspect, compare and write safetensors files with PyTorch 1.13 / NumPy only (no `safetensors` package).

Run by hand with /usr/bin/python3:
  safetensors_check.py show FILE                       names, dtypes, shapes, metadata, loads every tensor
                                                       into torch (torch.frombuffer) and prints a summary
  safetensors_check.py compare FILE --npy-dir DIR      compares every tensor with DIR/<name>.npy (as written
                                                       by momu_npy_write_f32); F32 must match bit for bit,
                                                       F16 must equal the .npy rounded to half by numpy;
                                                       exits 1 on any difference
  safetensors_check.py write-fixture OUT               writes the tiny PyTorch-produced file the C tests read
                                                       (tests/fixtures/nn/torch_small.safetensors)
  safetensors_check.py from-pt IN.pt OUT [--f16]       a torch state_dict (torch.save) to safetensors

Format (https://github.com/huggingface/safetensors): u64 little-endian header size N, N bytes of JSON
{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the byte buffer.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": (torch.float32, np.float32, 4), "F16": (torch.float16, np.float16, 2)}
TORCH_TO_ST = {torch.float32: "F32", torch.float16: "F16"}


def read_header(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise SystemExit(f"{path}: truncated ({len(raw)} bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise SystemExit(f"{path}: header length {n} larger than the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    return header, meta, raw[8 + n:]


def load(path):
    """Returns (dict name -> torch tensor, metadata dict), in header order."""
    header, meta, buf = read_header(path)
    out = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            raise SystemExit(f"{path}: {name}: dtype {info['dtype']} not handled by this script")
        tdt, _, size = DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        shape = info["shape"]
        numel = int(np.prod(shape)) if shape else 1
        if e - b != numel * size or e > len(buf):
            raise SystemExit(f"{path}: {name}: offsets {b},{e} inconsistent with shape {shape}")
        if numel == 0:
            t = torch.zeros(shape, dtype=tdt)
        else:
            # bytearray: frombuffer wants a writable buffer; the data is little-endian (x86 host)
            t = torch.frombuffer(bytearray(buf[b:e]), dtype=tdt).reshape(shape)
        out[name] = t
    return out, meta


def cmd_show(args):
    header, meta, buf = read_header(args.file)
    tensors, _ = load(args.file)
    print(f"{args.file}: {len(tensors)} tensors, data {len(buf)} bytes")
    for name, t in tensors.items():
        info = header[name]
        tf = t.float()
        print(f"  {name:40s} {info['dtype']} {list(t.shape)} offsets {info['data_offsets']} "
              f"mean {tf.mean().item():+.6g} std {tf.std().item() if t.numel() > 1 else 0:.6g} "
              f"first {[round(v, 6) for v in tf.flatten()[:4].tolist()]}")
    for k, v in meta.items():
        print(f"  meta {k} = {v if len(v) < 200 else v[:200] + '...'}")


def cmd_compare(args):
    tensors, _ = load(args.file)
    header, _, _ = read_header(args.file)
    bad = 0
    for name, t in tensors.items():
        p = os.path.join(args.npy_dir, name + ".npy")
        if not os.path.exists(p):
            print(f"  {name}: no {p}")
            bad += 1
            continue
        ref = np.load(p)
        got = t.numpy()
        if header[name]["dtype"] == "F16":
            ref = ref.astype(np.float16)
        if tuple(ref.shape) != tuple(got.shape):
            print(f"  {name}: shape {list(got.shape)} vs npy {list(ref.shape)}")
            bad += 1
            continue
        same = np.array_equal(got.view(np.uint8), ref.astype(got.dtype).view(np.uint8))
        diff = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64)))) if got.size else 0.0
        print(f"  {name:40s} {header[name]['dtype']} {list(got.shape)} bitwise {'identical' if same else 'DIFFERENT'}"
              f" max|diff| {diff:.3g}")
        bad += not same
    print(f"{len(tensors) - bad} of {len(tensors)} tensors identical")
    return 1 if bad else 0


def save(path, tensors, meta=None):
    """Writes like the reference Python library: tensors ordered by (dtype size descending, name), compact
    JSON, header padded with spaces to 8 bytes."""
    items = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {str(k): str(v) for k, v in meta.items()}
    for name, t in items:
        if t.dtype not in TORCH_TO_ST:
            raise SystemExit(f"{name}: dtype {t.dtype} not supported (F32, F16)")
        data = t.detach().contiguous().cpu().numpy().tobytes()  # little-endian host (x86)
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def cmd_write_fixture(args):
    # the values are formulas that tests/test_safetensors.c (reads_torch_fixture) recomputes in C
    t = {
        "lin.weight": ((torch.arange(12, dtype=torch.float32) - 5.5) / 4).reshape(3, 4),
        "lin.bias": torch.tensor([0.1, -0.2, 0.3], dtype=torch.float32),
        "emb": (torch.arange(10, dtype=torch.float32) / 3).to(torch.float16).reshape(2, 5),
    }
    save(args.out, t, {"config": json.dumps({"C": 4}), "producer": "torch"})
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes) with torch {torch.__version__}")
    back, meta = load(args.out)
    for k, v in t.items():
        assert torch.equal(back[k], v), k
    print("re-read: identical", meta)


def cmd_from_pt(args):
    sd = torch.load(args.input, map_location="cpu")
    if not isinstance(sd, dict):
        sd = sd.state_dict()
    t = {k: (v.half() if args.f16 else v.float()) for k, v in sd.items() if torch.is_tensor(v)}
    save(args.out, t, {"producer": "torch " + torch.__version__})
    print(f"wrote {args.out}: {len(t)} tensors")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("show"); p.add_argument("file")
    p = sub.add_parser("compare"); p.add_argument("file"); p.add_argument("--npy-dir", required=True)
    p = sub.add_parser("write-fixture"); p.add_argument("out")
    p = sub.add_parser("from-pt"); p.add_argument("input"); p.add_argument("out"); p.add_argument("--f16", action="store_true")
    args = ap.parse_args()
    rc = {"show": cmd_show, "compare": cmd_compare, "write-fixture": cmd_write_fixture, "from-pt": cmd_from_pt}[args.cmd](args)
    sys.exit(rc or 0)


if __name__ == "__main__":
    main()
