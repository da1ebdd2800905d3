#!/usr/bin/env python3
"""Captures real Linux TCP frames for the parser's test vectors.

Why: the checksum tests need frames whose checksums were computed by something other than
our own code. A TAP device has no checksum offload, so the kernel fills in every checksum
in software before it hands the frame to user space: what we read from the TAP fd is
exactly what Linux would put on the wire.

Run as root; it works inside a throw-away network namespace and removes it:

    python3 capture_linux_vectors.py /tmp/vectors.pcap

It prints each frame as hex and writes them to a pcap, which
`tshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -r /tmp/vectors.pcap -V`
validates independently. The peer side (SYN-ACK, out-of-order data) is forged by this
script so that the kernel answers with a handshake ACK, a data segment and a SACK.
"""
import fcntl, os, select, socket, struct, subprocess, sys, threading, time

NS = "migvec"
TAP = "vec0"
KERNEL_MAC = bytes.fromhex("020000000001")
PEER_MAC = bytes.fromhex("020000000002")

def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def tcp_segment(src_port, dst_port, seq, ack, flags, window, options, payload):
    doff = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, doff << 4, flags, window, 0, 0) + options + payload

def frame_v4(src, dst, segment):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(segment), 0, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(segment))
    c = csum(pseudo + segment)
    segment = segment[:16] + struct.pack("!H", c) + segment[18:]
    return KERNEL_MAC + PEER_MAC + b"\x08\x00" + ip + segment

def frame_v6(src, dst, segment):
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(segment), 6, 64, s, d)
    pseudo = s + d + struct.pack("!IxxxB", len(segment), 6)
    c = csum(pseudo + segment)
    segment = segment[:16] + struct.pack("!H", c) + segment[18:]
    return KERNEL_MAC + PEER_MAC + b"\x86\xdd" + ip + segment

def read_tcp(fd, ether_type, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], deadline - time.time())
        if not r:
            break
        f = os.read(fd, 65536)
        # only this session's family: the previous session's FIN may still arrive
        if ether_type == b"\x08\x00" and f[12:14] == ether_type and f[23] == 6:
            return f
        if ether_type == b"\x86\xdd" and f[12:14] == ether_type and f[20] == 6:
            return f
    raise RuntimeError("no TCP frame from the kernel")

def session(fd, family, kernel_ip, peer_ip, kernel_port, peer_port, make_frame):
    frames = {}
    def client():
        c = socket.socket(family, socket.SOCK_STREAM)
        c.bind((kernel_ip, kernel_port))
        c.connect((peer_ip, peer_port))
        time.sleep(0.3)
        c.send(b"hello")
        time.sleep(1.0)
        c.close()
    t = threading.Thread(target=client, daemon=True)
    t.start()
    ether_type = b"\x08\x00" if family == socket.AF_INET else b"\x86\xdd"
    syn = read_tcp(fd, ether_type)
    frames["syn"] = syn
    l3 = 34 if family == socket.AF_INET else 54
    isn, = struct.unpack("!I", syn[l3 + 4:l3 + 8])
    tsval, = struct.unpack("!I", syn[l3 + 28:l3 + 32])  # after MSS(4) SACK-permitted(2) TS kind/len(2)
    peer_isn, peer_ts = 0x10000000, 5000
    opts = bytes.fromhex("020405b4" "0402" "080a") + struct.pack("!II", peer_ts, tsval) + bytes.fromhex("01030307")
    synack = tcp_segment(peer_port, kernel_port, peer_isn, isn + 1, 0x12, 65160, opts, b"")
    os.write(fd, make_frame(peer_ip, kernel_ip, synack))
    frames["ack"] = read_tcp(fd, ether_type)
    frames["data"] = read_tcp(fd, ether_type)
    data_tsval, = struct.unpack("!I", frames["data"][l3 + 20 + 4:l3 + 20 + 8])
    # out of order: skip 100 bytes so that the kernel SACKs what we send
    ts = b"\x01\x01\x08\x0a" + struct.pack("!II", peer_ts + 10, data_tsval)
    ooo = tcp_segment(peer_port, kernel_port, peer_isn + 1 + 100, isn + 6, 0x18, 509, ts, b"0123456789")
    os.write(fd, make_frame(peer_ip, kernel_ip, ooo))
    frames["sack"] = read_tcp(fd, ether_type)
    t.join()
    return frames

def write_pcap(path, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for f in frames:
            out.write(struct.pack("<IIII", 0, 0, len(f), len(f)) + f)

def main():
    TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", TAP.encode(), IFF_TAP | IFF_NO_PI))
    sh(f"ip link set {TAP} address 02:00:00:00:00:01 up")
    sh(f"ip addr add 192.0.2.1/24 dev {TAP}")
    sh(f"ip -6 addr add 2001:db8::1/64 dev {TAP} nodad")
    sh(f"ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev {TAP} nud permanent")
    sh(f"ip -6 neigh replace 2001:db8::2 lladdr 02:00:00:00:00:02 dev {TAP} nud permanent")
    out = []
    for name, f in session(fd, socket.AF_INET, "192.0.2.1", "192.0.2.2", 40000, 7000, frame_v4).items():
        print("v4", name, f.hex()); out.append(f)
    for name, f in session(fd, socket.AF_INET6, "2001:db8::1", "2001:db8::2", 40001, 7000, frame_v6).items():
        print("v6", name, f.hex()); out.append(f)
    write_pcap(sys.argv[1] if len(sys.argv) > 1 else "/tmp/vectors.pcap", out)

if __name__ == "__main__":
    if os.environ.get("MIGVEC_IN_NS") != "1":
        sh(f"ip netns add {NS}")
        try:
            env = dict(os.environ, MIGVEC_IN_NS="1")
            subprocess.run(["ip", "netns", "exec", NS, sys.executable] + sys.argv, check=True, env=env)
        finally:
            sh(f"ip netns del {NS}")
    else:
        main()
