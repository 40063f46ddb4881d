#!/usr/bin/python3
"""A charger emulated with pymodbus (an implementation we did not write),
serving register map v1 as docs/protocol.md describes it: one connector,
charging. Prints every write it receives ("write ADDR V1 V2 ...") so that
a test can see what the master sent. Usage: mbemu.py PORT"""

import asyncio
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock,
                                ModbusServerContext, ModbusSlaveContext)
from pymodbus.server import StartAsyncTcpServer


def serial_regs(text):
    text = text.ljust(16, "\0")[:16]
    return [ord(text[i]) << 8 | ord(text[i + 1]) for i in range(0, 16, 2)]


class Inputs(ModbusSequentialDataBlock):
    pass


class Holdings(ModbusSequentialDataBlock):
    def __init__(self, inputs):
        super().__init__(0, [0] * 300)
        self.inputs = inputs

    def setValues(self, address, values):
        super().setValues(address, values)
        print("write %d %s" % (address, " ".join(str(v) for v in values)),
              flush=True)
        # The setpoint becomes the "setpoint in force" (input 119).
        if address <= 100 < address + len(values):
            self.inputs.setValues(119, [values[100 - address]])


def main():
    port = int(sys.argv[1])
    ir = [0] * 300
    ir[0:12] = [1, 1, 0x0100, 0, 0, 42, 0, 215, 2300, 2300, 2300, 320]
    ir[12:20] = serial_regs("EMU0000000000001")
    # connector 1: C, charging, no faults, 16 A offered, 26.7 %,
    # 16 A on three phases, ...
    ir[100:120] = [2, 3, 0, 160, 267, 160, 160, 160, 0, 1234, 0, 99999 & 0xFFFF,
                   0, 60, 7, 4, 320, 1, 5, 0]
    inputs = Inputs(0, ir)
    store = ModbusSlaveContext(ir=inputs, hr=Holdings(inputs), zero_mode=True)
    context = ModbusServerContext(slaves=store, single=True)
    print("listening", flush=True)
    asyncio.run(StartAsyncTcpServer(context=context,
                                    address=("127.0.0.1", port)))


if __name__ == "__main__":
    main()
