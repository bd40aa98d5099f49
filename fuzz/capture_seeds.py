#!/usr/bin/env python3
"""Captures real server traffic as fuzzing seeds (see fuzz/capture-seeds.sh).

  capture_seeds.py 9p LISTEN_PORT TARGET_PORT OUTDIR SECONDS
      A TCP relay on 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT (diod). Every whole
      9P frame either side sends is cut out by its size field; up to --per-type frames of
      each message type, at most 16 KiB each (the fuzzers' -max_len), are written to
      OUTDIR/p9_frame/captured-<type>-<n>.

  capture_seeds.py rx PORTS OUTDIR SECONDS
      Sniffs UDP on the loopback interface (root: an AF_PACKET socket) for datagrams to or
      from the comma-separated PORTS (the cell's VL server and fileserver). Up to
      --per-type datagrams of each Rx packet type go to OUTDIR/rx_packet/captured-<type>-<n>
      and the bodies of ACKs to OUTDIR/rx_ack/captured-<n>.

Runs until SECONDS have passed, then prints what it kept. Only loopback is touched.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

MAX_LEN = 16384


class Keeper:
    def __init__(self, outdir, per_type):
        self.outdir = outdir
        self.per_type = per_type
        self.counts = {}
        self.seen = set()

    def keep(self, sub, kind, data):
        if len(data) > MAX_LEN or data in self.seen:
            return
        n = self.counts.get((sub, kind), 0)
        if n >= self.per_type:
            return
        self.seen.add(data)
        self.counts[(sub, kind)] = n + 1
        os.makedirs(os.path.join(self.outdir, sub), exist_ok=True)
        name = f"captured-{kind}-{n}" if kind else f"captured-{n}"
        with open(os.path.join(self.outdir, sub, name), "wb") as f:
            f.write(data)

    def report(self):
        for (sub, kind), n in sorted(self.counts.items()):
            print(f"  {sub}/{kind or 'body'}: {n}")


def frames(buf):
    """Whole 9P frames at the front of buf; returns (frames, rest)."""
    out = []
    while len(buf) >= 7:
        size = struct.unpack_from("<I", buf)[0]
        if size < 7 or size > (1 << 24):
            return out, b""  # not 9P (or lost sync): drop the rest
        if len(buf) < size:
            break
        out.append(buf[:size])
        buf = buf[size:]
    return out, buf


def relay_9p(args, keeper):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.listen))
    lsock.listen(16)
    pairs = {}  # socket -> (peer socket, pending bytes)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([lsock] + list(pairs), [], [], 0.2)
        for s in ready:
            if s is lsock:
                c, _ = lsock.accept()
                t = socket.create_connection(("127.0.0.1", args.target))
                pairs[c] = [t, b""]
                pairs[t] = [c, b""]
                continue
            if s not in pairs:
                continue
            try:
                data = s.recv(1 << 20)
            except OSError:
                data = b""
            peer = pairs[s][0]
            if not data:
                for x in (s, peer):
                    pairs.pop(x, None)
                    x.close()
                continue
            peer.sendall(data)
            got, rest = frames(pairs[s][1] + data)
            pairs[s][1] = rest
            for fr in got:
                keeper.keep("p9_frame", f"type{fr[4]}", fr)
    lsock.close()


RX_TYPES = {1: "data", 2: "ack", 3: "busy", 4: "abort", 5: "ackall", 6: "challenge", 7: "response",
            8: "debug", 9: "params", 13: "version"}


def sniff_rx(args, keeper):
    ports = {int(p) for p in args.ports.split(",")}
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    s.bind(("lo", 0))
    s.settimeout(0.2)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            pkt = s.recv(65535)
        except socket.timeout:
            continue
        if len(pkt) < 14 + 20 + 8 or struct.unpack_from("!H", pkt, 12)[0] != 0x0800:
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:  # UDP
            continue
        sport, dport, ulen = struct.unpack_from("!HHH", ip, ihl)
        if sport not in ports and dport not in ports:
            continue
        payload = ip[ihl + 8: ihl + ulen]
        if len(payload) < 28:
            continue
        kind = RX_TYPES.get(payload[20], f"type{payload[20]}")
        keeper.keep("rx_packet", kind, payload)
        if payload[20] == 2:
            keeper.keep("rx_ack", "", payload[28:])
    s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-type", type=int, default=3)
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("9p")
    p.add_argument("listen", type=int)
    p.add_argument("target", type=int)
    p.add_argument("outdir")
    p.add_argument("seconds", type=float)
    r = sub.add_parser("rx")
    r.add_argument("ports")
    r.add_argument("outdir")
    r.add_argument("seconds", type=float)
    args = ap.parse_args()
    keeper = Keeper(args.outdir, args.per_type)
    if args.mode == "9p":
        relay_9p(args, keeper)
    else:
        sniff_rx(args, keeper)
    print(f"capture_seeds: kept {sum(keeper.counts.values())} inputs")
    keeper.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
