# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal btsnoop writer (Linux monitor format, as btmon -w writes),
written apart from hamstride's own so the tests can hand-craft captures,
bad ones included, and check that the reader agrees with the format."""
import struct

EPOCH_DELTA_US = 0x00dcddb30f2f8000  # year 0 to 1970, as Wireshark and Android use
OP_EVENT, OP_ACL_TX, OP_ACL_RX = 3, 4, 5


class Capture:
    def __init__(self, path):
        self.f = open(path, 'wb')
        self.f.write(b'btsnoop\0' + struct.pack('>II', 1, 2001))

    def record(self, opcode, data, time_us, index=0):
        self.f.write(struct.pack('>IIIIq', len(data), len(data), (index << 16) | opcode, 0,
                                 time_us + EPOCH_DELTA_US))
        self.f.write(data)

    def connect(self, handle, addr, time_us, addr_type=1):
        """LE Connection Complete for a peer 'AA:BB:CC:DD:EE:FF'."""
        peer = bytes(int(b, 16) for b in reversed(addr.split(':')))
        params = struct.pack('<BBHBB6sHHHB', 0x01, 0, handle, 0, addr_type, peer, 24, 0, 400, 0)
        self.record(OP_EVENT, bytes([0x3e, len(params)]) + params, time_us)

    def att(self, handle, pdu, time_us, received=True):
        l2cap = struct.pack('<HH', len(pdu), 4) + pdu
        acl = struct.pack('<HH', handle | 0x2000, len(l2cap)) + l2cap
        self.record(OP_ACL_RX if received else OP_ACL_TX, acl, time_us)

    def discover(self, handle, value_handle, uuid16, time_us):
        """The Read By Type exchange that declares one characteristic."""
        self.att(handle, struct.pack('<BHHH', 0x08, 1, 0xffff, 0x2803), time_us, received=False)
        item = struct.pack('<HBHH', value_handle - 1, 0x10, value_handle, uuid16)
        self.att(handle, bytes([0x09, len(item)]) + item, time_us)

    def notify(self, handle, value_handle, value, time_us):
        self.att(handle, struct.pack('<BH', 0x1b, value_handle) + value, time_us)

    def close(self):
        self.f.close()


def rsc(speed_mps, cadence, running=True):
    flags = 0x04 if running else 0
    return struct.pack('<BHB', flags, round(speed_mps * 256), cadence)
