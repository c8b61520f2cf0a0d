#!/usr/bin/env python3
"""Builds a small busybox image from the host's /bin/busybox, deterministically.

usage: make_busybox_image.py -o OUT [--format oci-archive|oci-dir|docker-archive|
                                     docker-archive-legacy] [--name busybox:latest]
                             [--gzip] [--busybox /bin/busybox]

The rootfs holds bin/busybox with applet symlinks, etc/passwd, etc/group and empty
proc, sys, dev and tmp directories. Every mtime, owner and gzip header is fixed, so the
same busybox binary always gives the same digests. docker-archive is the layout Docker
25 writes (blobs/sha256/…, manifest.json, repositories); docker-archive-legacy is the
older one (<id>/layer.tar, <config hex>.json). stdlib only.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile

APPLETS = ["sh", "ls", "cat", "echo", "true", "false", "sleep", "id", "env", "ps",
           "hostname", "wc", "grep", "mkdir", "touch", "rm", "tr", "head", "tar", "gzip",
           "httpd", "wget", "ip", "nc", "cut", "sed"]
MTIME = 1700000000  # 2023-11-14T22:13:20Z
CREATED = "2023-11-14T22:13:20Z"
PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = b"root:x:0:\nnogroup:x:65534:\n"


def entry(name, kind, mode, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.size = len(data)
    info.linkname = link
    return info, (io.BytesIO(data) if data else None)


def build_layer(busybox, files=(), symlinks=()):
    with open(busybox, "rb") as f:
        binary = f.read()
    entries = [entry(d, tarfile.DIRTYPE, 0o755) for d in ("bin", "dev", "etc", "proc", "sys")]
    entries.append(entry("tmp", tarfile.DIRTYPE, 0o1777))
    entries.append(entry("bin/busybox", tarfile.REGTYPE, 0o755, binary))
    entries += [entry(f"bin/{a}", tarfile.SYMTYPE, 0o777, link="busybox") for a in APPLETS]
    entries.append(entry("etc/passwd", tarfile.REGTYPE, 0o644, PASSWD))
    entries.append(entry("etc/group", tarfile.REGTYPE, 0o644, GROUP))
    dirs = {"bin", "dev", "etc", "proc", "sys", "tmp"}
    extra = [(path, text, None) for path, _, text in (f.partition("=") for f in files)]
    extra += [(path, None, target) for path, target in symlinks]
    for path, text, target in extra:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent not in dirs:
                dirs.add(parent)
                entries.append(entry(parent, tarfile.DIRTYPE, 0o755))
        name = "/".join(parts)
        if target is None:
            entries.append(entry(name, tarfile.REGTYPE, 0o644, text.encode() + b"\n"))
        else:
            entries.append(entry(name, tarfile.SYMTYPE, 0o777, link=target))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in sorted(entries, key=lambda e: e[0].name):
            tar.addfile(info, data)
    return buf.getvalue()


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as z:
        z.write(data)
    return buf.getvalue()


def split_name(name):
    """("docker.io/library/busybox:latest" or "busybox:latest") → (repo, tag)."""
    slash = name.rfind("/")
    colon = name.rfind(":")
    return (name[:colon], name[colon + 1:]) if colon > slash else (name, "latest")


def build_image(args):
    """The image's blobs: {digest: bytes}, plus the manifest, config and layer digests."""
    layer_tar = build_layer(args.busybox, args.file,
                            [tuple(s.split("=", 1)) for s in args.symlink])
    layer = gzip_bytes(layer_tar) if args.gzip else layer_tar
    docker = args.format.startswith("docker")
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                          "/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer_tar)]},
        "history": [{"created": CREATED,
                     "created_by": "make_busybox_image.py: busybox rootfs"},
                    {"created": CREATED, "created_by": 'CMD ["sh"]', "empty_layer": True}],
    }
    if args.volume:
        config["config"]["Volumes"] = {v: {} for v in args.volume}
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    if docker:
        types = ("application/vnd.docker.distribution.manifest.v2+json",
                 "application/vnd.docker.container.image.v1+json",
                 "application/vnd.docker.image.rootfs.diff.tar.gzip" if args.gzip else
                 "application/vnd.docker.image.rootfs.diff.tar")
    else:
        types = ("application/vnd.oci.image.manifest.v1+json",
                 "application/vnd.oci.image.config.v1+json",
                 "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if args.gzip else ""))
    manifest = {
        "schemaVersion": 2,
        "mediaType": types[0],
        "config": {"mediaType": types[1], "digest": sha256(config_bytes),
                   "size": len(config_bytes)},
        "layers": [{"mediaType": types[2], "digest": sha256(layer), "size": len(layer)}],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    blobs = {sha256(b): b for b in (layer, config_bytes, manifest_bytes)}
    return blobs, sha256(manifest_bytes), sha256(config_bytes), sha256(layer)


def oci_files(args, blobs, manifest):
    files = {f"blobs/sha256/{d[7:]}": b for d, b in blobs.items()}
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest, "size": len(blobs[manifest]),
            "annotations": {"io.containerd.image.name": args.name,
                            "org.opencontainers.image.ref.name": split_name(args.name)[1]},
        }],
    }
    files["index.json"] = json.dumps(index, sort_keys=True).encode()
    files["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    return files


def docker_files(args, blobs, manifest, config, layer):
    repo, tag = split_name(args.name)
    if args.format == "docker-archive":
        files = {f"blobs/sha256/{d[7:]}": b for d, b in blobs.items() if d != manifest}
        config_path, layer_path, layer_id = (f"blobs/sha256/{config[7:]}",
                                             f"blobs/sha256/{layer[7:]}", layer[7:])
    else:
        layer_id = hashlib.sha256(config.encode() + b"/layer").hexdigest()
        config_path, layer_path = f"{config[7:]}.json", f"{layer_id}/layer.tar"
        files = {config_path: blobs[config], layer_path: blobs[layer],
                 f"{layer_id}/VERSION": b"1.0",
                 f"{layer_id}/json": json.dumps({"id": layer_id}).encode()}
    files["manifest.json"] = json.dumps(
        [{"Config": config_path, "RepoTags": [f"{repo}:{tag}"], "Layers": [layer_path]}]).encode()
    files["repositories"] = json.dumps({repo: {tag: layer_id}}).encode()
    return files


def write_tar(out, files):
    with open(out, "wb") as f, tarfile.open(fileobj=f, mode="w",
                                            format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({os.path.dirname(p) for p in files if "/" in p})
        for d in sorted(set(dirs + [p.split("/")[0] for p in dirs])):
            tar.addfile(entry(d, tarfile.DIRTYPE, 0o755)[0])
        for path in sorted(files):
            tar.addfile(*entry(path, tarfile.REGTYPE, 0o644, files[path]))


def write_dir(out, files):
    for path, data in files.items():
        os.makedirs(os.path.join(out, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(out, path), "wb") as f:
            f.write(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--format", default="oci-archive",
                        choices=["oci-archive", "oci-dir", "docker-archive",
                                 "docker-archive-legacy"])
    parser.add_argument("--name", default="busybox:latest")
    parser.add_argument("--gzip", action="store_true", help="gzip the layer")
    parser.add_argument("--busybox", default="/bin/busybox")
    parser.add_argument("--volume", action="append", default=[],
                        help="a VOLUME of the image config (repeatable)")
    parser.add_argument("--file", action="append", default=[],
                        help="PATH=TEXT: a file holding TEXT and a newline (repeatable)")
    parser.add_argument("--symlink", action="append", default=[],
                        help="PATH=TARGET: a symbolic link (repeatable)")
    args = parser.parse_args()
    blobs, manifest, config, layer = build_image(args)
    if args.format.startswith("docker"):
        write_tar(args.output, docker_files(args, blobs, manifest, config, layer))
    elif args.format == "oci-dir":
        write_dir(args.output, oci_files(args, blobs, manifest))
    else:
        write_tar(args.output, oci_files(args, blobs, manifest))


if __name__ == "__main__":
    main()
