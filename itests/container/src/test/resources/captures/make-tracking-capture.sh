#!/usr/bin/env bash
# Re-creates tracking-part1.pcap and tracking-part2.pcap: real Linux TCP (default options:
# MSS, SACK, timestamps, window scaling) between 10.77.0.1 and 10.77.0.2:7000, captured on a
# third host behind a flooding bridge. Four connections:
#   41001: handshake, data both ways | more data, then an orderly close (FIN both ways)
#   41002: handshake, client data    | more client data, then the server aborts (RST)
#   41003: handshake, data           | more data, stays established
#   41004: opened BEFORE the capture starts (handshake missed), data in both parts
# part1 ends and part2 begins at a 2-second pause of every connection. Run as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
p=mwcap$$
cleanup() { for ns in client primary backup hub; do ip netns del $p-$ns 2>/dev/null || true; done; }
trap cleanup EXIT
for ns in client primary backup hub; do ip netns add $p-$ns; ip -n $p-$ns link set lo up; done
ip -n $p-hub link add br0 type bridge ageing_time 0; ip -n $p-hub link set br0 up
i=1
for role in client primary backup; do
  ip link add v$$x$i type veth peer name h-$role netns $p-hub
  ip link set v$$x$i netns $p-$role name eth0
  ip -n $p-$role addr add 10.77.0.$i/24 dev eth0; ip -n $p-$role link set eth0 up
  ip -n $p-hub link set h-$role master br0 up
  i=$((i+1))
done
ip netns exec $p-primary python3 - <<'PY' &
import socket, struct, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 7000)); s.listen(16)
def serve(c, port):
    total = 0
    while True:
        data = c.recv(4096)
        if not data: break
        total += len(data)
        if port == 41002 and total >= 150:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close(); return
        if port != 41002: c.sendall(b"ok\n" * data.count(b"\n"))
    c.close()
for _ in range(4):
    c, addr = s.accept(); threading.Thread(target=serve, args=(c, addr[1])).start()
PY
sleep 1
ip netns exec $p-client python3 - "$p" "$here" <<'PY'
import socket, subprocess, sys, time
p, here = sys.argv[1], sys.argv[2]
def connect(port):
    c = socket.socket(); c.bind(("10.77.0.1", port)); c.connect(("10.77.0.2", 7000)); return c
def dump(name):
    d = subprocess.Popen(["ip", "netns", "exec", p + "-backup", "tcpdump", "-i", "eth0", "-U", "-w", here + "/" + name, "tcp"],
                         stderr=subprocess.DEVNULL)
    time.sleep(1.5); return d
d4 = connect(41004); d4.sendall(b"before capture\n"); time.sleep(0.5)
cap = dump("tracking-part1.pcap")
a = connect(41001); b = connect(41002); c = connect(41003)
a.sendall(b"hello A 1\n"); b.sendall(b"B" * 99 + b"\n"); c.sendall(b"hello C 1\n"); d4.sendall(b"hello D 1\n")
time.sleep(1); cap.terminate(); cap.wait(); time.sleep(1)
cap = dump("tracking-part2.pcap")
a.sendall(b"hello A 2 and more\n"); b.sendall(b"B" * 49 + b"\n"); c.sendall(b"hello C 2\n"); d4.sendall(b"hello D 2\n")
time.sleep(0.5); a.shutdown(socket.SHUT_WR)
while a.recv(100): pass
a.close(); time.sleep(1); cap.terminate(); cap.wait()
PY
wait
ls -l "$here"/tracking-part*.pcap
