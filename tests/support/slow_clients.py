"""Slow WebSocket consumers for the gate's fault test (case 8).

Opens COUNT raw TCP sockets with a small receive buffer (SO_RCVBUF, set before connect so the
advertised window stays small), completes the WebSocket handshake, sends a masked `join` text
frame and then never reads again. Node's net module cannot set SO_RCVBUF, hence Python.

usage: slow_clients.py HOST PORT PATH COUNT ORIGIN
Prints `ready <n>` once every socket has joined. On a line `report` on stdin it prints
`report <established> <closed>`: sockets still ESTABLISHED versus ones the server closed (FIN:
CLOSE_WAIT, or reset), read from TCP_INFO without reading the socket. EOF on stdin ends it.
"""
import base64
import json
import os
import socket
import struct
import sys

HOST, PORT, PATH, COUNT, ORIGIN = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
RCVBUF = 2048
TCP_ESTABLISHED = 1


def frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return struct.pack('!BB', 0x81, 0x80 | len(payload)) + mask + masked


def open_one(i: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    # Spread the sources over 127.0.0.x: one source address has ~28k ephemeral ports.
    s.bind((f'127.0.0.{2 + i % 200}', 0))
    s.settimeout(20)
    s.connect((HOST, PORT))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            f'GET {PATH} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
            f'Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n\r\n'
        ).encode()
    )
    head = b''
    while b'\r\n\r\n' not in head:
        chunk = s.recv(1024)
        if not chunk:
            raise RuntimeError('closed during handshake')
        head += chunk
    if not head.startswith(b'HTTP/1.1 101'):
        raise RuntimeError(head.split(b'\r\n', 1)[0].decode())
    s.sendall(frame(json.dumps({'t': 'join'})))
    return s  # never read from again


def state(s: socket.socket) -> int:
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]


def main() -> None:
    socks = [open_one(i) for i in range(COUNT)]
    print(f'ready {len(socks)}', flush=True)
    for line in sys.stdin:
        if line.strip() == 'report':
            est = sum(1 for s in socks if state(s) == TCP_ESTABLISHED)
            print(f'report {est} {len(socks) - est}', flush=True)
    for s in socks:
        s.close()


main()
