#!/usr/bin/python3
"""Site meters emulated with pymodbus (an implementation we did not
write): the Sense CT kit, an Eastron SDM630 or SDM120, or a "generic"
meter (L1 int16 in 0.1 A at 10, L2 float32 in A, low word first, at 20,
L3 uint32 in mA at 30), over Modbus TCP or RTU. Each read takes its values
from a JSON file the test rewrites:
  {"current": [A, A, A], "voltage": V, "nan": bool, "fail": bool,
   "frame_stop": bool}
Usage: meteremu.py DRIVER tcp PORT VALUES | DRIVER rtu DEVICE VALUES"""

import asyncio
import json
import math
import struct
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock,
                                ModbusServerContext, ModbusSlaveContext)
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer


def f32(v, low_first=False):
    hi, lo = struct.unpack(">HH", struct.pack(">f", v))
    return [lo, hi] if low_first else [hi, lo]


class Meter(ModbusSequentialDataBlock):
    def __init__(self, driver, values_path):
        super().__init__(0, [0] * 100)
        self.driver = driver
        self.path = values_path
        self.frame = 0
        self.fail = False

    def load(self):
        with open(self.path) as f:
            v = json.load(f)
        cur, volt = v["current"], v.get("voltage", 230.0)
        nan = v.get("nan", False)
        self.fail = v.get("fail", False)
        regs = [0] * 100
        if self.driver == "sense":
            if not v.get("frame_stop", False):
                self.frame = (self.frame + 1) & 0xFFFF
            regs[0:8] = [1] + [round(a * 10) & 0xFFFF for a in cur] + \
                [round(volt * 10)] * 3 + [self.frame]
        elif self.driver in ("sdm630", "sdm120"):
            n = 3 if self.driver == "sdm630" else 1
            for k in range(n):
                i = float("nan") if nan and k == 0 else abs(cur[k])
                regs[2 * k:2 * k + 2] = f32(volt)
                regs[6 + 2 * k:8 + 2 * k] = f32(i)
                regs[12 + 2 * k:14 + 2 * k] = f32(volt * cur[k])
        else:
            regs[10] = round(cur[0] * 10) & 0xFFFF
            regs[20:22] = f32(float("nan") if nan else cur[1], True)
            ma = round(cur[2] * 1000)
            regs[30:32] = [ma >> 16, ma & 0xFFFF]
        self.values = regs

    def validate(self, address, count=1):
        self.load()
        # A refused read: pymodbus answers with an exception.
        return not self.fail and super().validate(address, count)


def main():
    driver, transport, where, values = sys.argv[1:5]
    store = ModbusSlaveContext(ir=Meter(driver, values), zero_mode=True)
    context = ModbusServerContext(slaves=store, single=True)
    print("listening", flush=True)
    if transport == "tcp":
        asyncio.run(StartAsyncTcpServer(context=context,
                                        address=("127.0.0.1", int(where))))
    else:
        asyncio.run(StartAsyncSerialServer(context=context,
                                           framer=ModbusRtuFramer,
                                           port=where, baudrate=9600))


if __name__ == "__main__":
    main()
