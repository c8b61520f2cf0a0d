#!/usr/bin/env python3
"""Writes the pull bench's big image, ~260 MB in 4 gzip'd layers, as an OCI layout dir.

usage: make_big_image.py -o DIR [--name bench/big:latest] [--big-mib 100]
                         [--small-files 20000] [--busybox /bin/busybox]

Layers, bottom to top:
  1. the busybox rootfs of tests/images/make_busybox_image.py;
  2. and 3. --big-mib MiB each of random (incompressible) bytes in four files;
  4. --small-files files of 1-4 KiB random bytes, 200 to a directory (the last one,
     small/d099/f19999 by default, is 4096 bytes).
Layers are gzip level 1 (quick to make; random bytes do not shrink anyway). Bytes come
from a seeded generator and every mtime, owner and gzip header is fixed, so the same
arguments and busybox always give the same digests. Layers are streamed to disk, never
held whole in memory. stdlib only; push it with skopeo copy oci:DIR:TAG docker://….
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "images"))
import make_busybox_image as bb  # noqa: E402

BIG_FILES = 4
SMALL_PER_DIR = 200


class HashingWriter:
    """A write-only file that hashes and counts what passes through to `out`."""

    def __init__(self, out):
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self):
        pass

    def digest(self):
        return "sha256:" + self.hash.hexdigest()


def write_layer(blobs, fill):
    """Streams a gzip'd tar made by fill(tar) into blobs/; returns (descriptor, diff_id)."""
    tmp = os.path.join(blobs, "layer.tmp")
    with open(tmp, "wb") as f:
        compressed = HashingWriter(f)
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0,
                           compresslevel=1) as z:
            plain = HashingWriter(z)
            with tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                fill(tar)
    digest = compressed.digest()
    os.rename(tmp, os.path.join(blobs, digest[7:]))
    return ({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest,
             "size": compressed.size}, plain.digest())


def add(tar, name, kind, mode, data=b""):
    info, stream = bb.entry(name, kind, mode, data)
    tar.addfile(info, stream)


def busybox_layer(path):
    def fill(tar):
        layer = bb.build_layer(path)
        with tarfile.open(fileobj=io.BytesIO(layer)) as src:
            for member in src:
                tar.addfile(member, src.extractfile(member) if member.isreg() else None)
    return fill


def big_layer(index, mib, rng):
    def fill(tar):
        top = f"data{index}"
        add(tar, top, tarfile.DIRTYPE, 0o755)
        each = mib * 1024 * 1024 // BIG_FILES
        for n in range(BIG_FILES):
            add(tar, f"{top}/blob{n}.bin", tarfile.REGTYPE, 0o644, rng.randbytes(each))
    return fill


def small_layer(count, rng):
    def fill(tar):
        add(tar, "small", tarfile.DIRTYPE, 0o755)
        for n in range(count):
            d = f"small/d{n // SMALL_PER_DIR:03d}"
            if n % SMALL_PER_DIR == 0:
                add(tar, d, tarfile.DIRTYPE, 0o755)
            # The last one is 4 KiB exactly: the pull bench looks for it after each unpack.
            size = 4096 if n == count - 1 else rng.randint(1024, 4096)
            add(tar, f"{d}/f{n:05d}", tarfile.REGTYPE, 0o644, rng.randbytes(size))
    return fill


def put_json(blobs, value):
    data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest[7:]), "wb") as f:
        f.write(data)
    return digest, len(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True, help="OCI layout directory to make")
    parser.add_argument("--name", default="bench/big:latest")
    parser.add_argument("--big-mib", type=int, default=100, help="MiB in layers 2 and 3 each")
    parser.add_argument("--small-files", type=int, default=20000, help="files in layer 4")
    parser.add_argument("--busybox", default="/bin/busybox")
    args = parser.parse_args()

    blobs = os.path.join(args.output, "blobs", "sha256")
    os.makedirs(blobs)
    rng = random.Random(20261128)
    fills = [busybox_layer(args.busybox), big_layer(2, args.big_mib, rng),
             big_layer(3, args.big_mib, rng), small_layer(args.small_files, rng)]
    layers, diff_ids = zip(*(write_layer(blobs, fill) for fill in fills))
    history = [{"created": bb.CREATED, "created_by": f"make_big_image.py: layer {n + 1}"}
               for n in range(len(layers))]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": bb.CREATED,
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                          "/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": history,
    }
    config_digest, config_size = put_json(blobs, config)
    manifest_digest, manifest_size = put_json(blobs, {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": list(layers),
    })
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name":
                            bb.split_name(args.name)[1]},
        }],
    }
    with open(os.path.join(args.output, "index.json"), "w") as f:
        json.dump(index, f, sort_keys=True)
    with open(os.path.join(args.output, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    total = sum(layer["size"] for layer in layers)
    print(f"{args.output}: {len(layers)} layers, {total / 1e6:.1f} MB compressed, "
          f"manifest {manifest_digest}")


if __name__ == "__main__":
    main()
