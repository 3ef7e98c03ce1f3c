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
  safetensors_check.py models [FILE ...]               every models/*.safetensors (or the files given): loads
                                                       each tensor with torch.frombuffer (F16 as float16), prints
                                                       tensor / parameter counts, dtypes, NaN/Inf, metadata keys,
                                                       and checks momu.crc32; exits 1 on any problem
  safetensors_check.py pack-compare PACKED SOURCE      a `momu model pack` output against its F32 checkpoint:
                                                       every tensor present, the rounding error (max abs, max rel
                                                       over |x| >= 2^-14, values flushed to 0), metadata kept

Format (https://github.com/huggingface/safetensors): u64 little-endian header size N, N bytes of JSON
{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the byte buffer.
"""
import argparse
import glob
import json
import os
import struct
import sys
import zlib

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


CRC_KEY = "momu.crc32"
CRC_PATTERN = b'"momu.crc32":"'


def check_crc(path, meta):
    """'ok', 'none' or an error string. The checksum (src/nn/safetensors.c): zlib CRC-32 of the whole file with
    the 8 hex digits of momu.crc32 read as '0'."""
    if CRC_KEY not in meta:
        return "MISSING (packed file)" if "momu.packed_from" in meta else "none"
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    (n,) = struct.unpack("<Q", raw[:8])
    i = raw.find(CRC_PATTERN, 8, 8 + n)
    if i < 0:
        return "BAD (key not found in the raw header)"
    i += len(CRC_PATTERN)
    raw[i:i + 8] = b"00000000"
    got = "%08x" % zlib.crc32(bytes(raw))
    return "ok" if got == meta[CRC_KEY] else f"MISMATCH (file {got}, metadata {meta[CRC_KEY]})"


def cmd_models(args):
    files = args.files or sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models",
                                                        "*.safetensors")))
    if not files:
        print("no files (models/*.safetensors is empty; give files)")
        return 1
    bad = 0
    for path in files:
        tensors, meta = load(path)
        dtypes, n_params, groups, nonfinite = {}, 0, {}, []
        for name, t in tensors.items():
            key = str(t.dtype).replace("torch.", "")
            dtypes[key] = dtypes.get(key, 0) + t.numel()
            n_params += t.numel()
            g = name.split(".")[0] + ".*" if name.split(".")[0] in ("ema", "vae", "norm") else "(unprefixed)"
            groups[g] = groups.get(g, 0) + t.numel()
            tf = t.float()
            if not torch.isfinite(tf).all():
                nonfinite.append(f"{name}: {int((~torch.isfinite(tf)).sum())} NaN/Inf")
        crc = check_crc(path, meta)
        print(f"{path}: {os.path.getsize(path):,} bytes, kind {meta.get('momu.kind', '?')}, {len(tensors)} tensors, "
              f"{n_params:,} values ({', '.join(f'{k} {v:,}' for k, v in dtypes.items())}; "
              f"{', '.join(f'{k} {v:,}' for k, v in groups.items())})")
        print(f"  NaN/Inf: {'; '.join(nonfinite) if nonfinite else 'none'}   checksum {CRC_KEY}: {crc}   "
              f"packed from: {meta.get('momu.packed_from', '(not packed)')}")
        print(f"  metadata ({len(meta)} keys): {', '.join(meta.keys())}")
        bad += bool(nonfinite) + (crc not in ("ok", "none"))
    return 1 if bad else 0


def cmd_pack_compare(args):
    packed, pm = load(args.packed)
    source, sm = load(args.source)
    bad = 0
    max_abs, max_rel, worst_abs, worst_rel, n_flushed, n_sub, d2, x2 = 0.0, 0.0, "", "", 0, 0, 0.0, 0.0
    for name, p in packed.items():
        if name not in source:
            print(f"  {name}: not in the source")
            bad += 1
            continue
        x = source[name].double()
        y = p.double()
        if x.shape != y.shape:
            print(f"  {name}: shape {list(y.shape)} vs source {list(x.shape)}")
            bad += 1
            continue
        d = (y - x).abs()
        d2 += float((d * d).sum())
        x2 += float((x * x).sum())
        if d.numel() and float(d.max()) > max_abs:
            max_abs, worst_abs = float(d.max()), name
        big = x.abs() >= 2.0 ** -14
        if bool(big.any()):
            r = float((d[big] / x.abs()[big]).max())
            if r > max_rel:
                max_rel, worst_rel = r, name
        if p.dtype == torch.float16:
            n_sub += int(((x != 0) & (x.abs() < 2.0 ** -14)).sum())
        n_flushed += int(((x != 0) & (y == 0)).sum())
        # F16 must be numpy's round-to-nearest-even of the source; F32 must be the source exactly
        want = x.numpy().astype(np.float32).astype(np.float16) if p.dtype == torch.float16 else x.numpy().astype(np.float32)
        if not np.array_equal(p.numpy(), want):
            print(f"  {name}: not the {p.dtype} rounding of the source")
            bad += 1
    dropped = [n for n in source if n not in packed]
    live = [n for n in dropped if ("ema." + (n[4:] if n.startswith("vae.") else n)) in source]
    lost = [k for k in sm if k != CRC_KEY and pm.get(k) != sm[k]]
    print(f"{args.packed} ({os.path.getsize(args.packed):,} bytes) vs {args.source} ({os.path.getsize(args.source):,} "
          f"bytes): ratio {os.path.getsize(args.packed) / os.path.getsize(args.source):.3f}")
    print(f"  tensors: {len(packed)} packed, {len(dropped)} of the source dropped ({len(live)} live weights with an "
          f"EMA copy{'; OTHERS: ' + ', '.join(sorted(set(dropped) - set(live))) if len(live) != len(dropped) else ''})")
    print(f"  rounding: max abs {max_abs:.3g} ({worst_abs}), max rel {max_rel:.3g} over |x| >= 2^-14 ({worst_rel}), "
          f"relative L2 {(d2 / x2) ** 0.5 if x2 else 0:.3g}; {n_sub} F16 subnormals, {n_flushed} values flushed to 0")
    print(f"  metadata: {len(sm)} source keys, {'all kept' if not lost else 'LOST/CHANGED: ' + ', '.join(lost)}; added "
          f"{', '.join(k for k in pm if k not in sm)}; checksum {check_crc(args.packed, pm)}")
    bad += len(lost) + (len(live) != len(dropped)) + (check_crc(args.packed, pm) != "ok")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("show"); p.add_argument("file")
    p = sub.add_parser("compare"); p.add_argument("file"); p.add_argument("--npy-dir", required=True)
    p = sub.add_parser("write-fixture"); p.add_argument("out")
    p = sub.add_parser("from-pt"); p.add_argument("input"); p.add_argument("out"); p.add_argument("--f16", action="store_true")
    p = sub.add_parser("models"); p.add_argument("files", nargs="*")
    p = sub.add_parser("pack-compare"); p.add_argument("packed"); p.add_argument("source")
    args = ap.parse_args()
    rc = {"show": cmd_show, "compare": cmd_compare, "write-fixture": cmd_write_fixture, "from-pt": cmd_from_pt,
          "models": cmd_models, "pack-compare": cmd_pack_compare}[args.cmd](args)
    sys.exit(rc or 0)


if __name__ == "__main__":
    main()
